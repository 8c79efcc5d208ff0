#!/usr/bin/env bash
# call 4 (2026-11-29 session 7): with the final binaries of the session
# (decode attention as in session 6 again, live selection trimmed to the
# decoding rows): the executor's calibration runs (Llama-3-8B-262k, rates
# 2 and 6) against call 3's calibration (refitted here:
# calibrate/results/h200/h200.h5), after the kernel and live GPU tests.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
TH_TIMEOUT=60 timeout 70 $B/test_kernels_gpu > $W/c4/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|^ok" $W/c4/test_kernels_gpu.tap
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=80 timeout 90 $B/test_live_gpu > $W/c4/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c4/test_live_gpu.tap
pack
MODELS=llama-3-8b-262k OUT=$W/c4 timeout 260 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c4/exec-calib.log | cut -c1-100
pack
