#!/usr/bin/env bash
# call 1 (2026-11-29 session 8): the kernel and live GPU tests with the
# executor reading within-budget decode rows whole (the new live test
# offload_policies_agree_past_the_budget among them), then the executor's
# calibration runs (Llama-3-8B-262k, 2 and 6 req/s) against the shipped
# calibration (calibrate/results/h200/h200.h5), and the host's topology.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; nproc; lscpu | head -30; which numactl taskset; numactl -H 2>&1 | head; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=60 timeout 70 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|^ok" $W/c1/test_kernels_gpu.tap | grep -c "^ok"; grep "^not ok" $W/c1/test_kernels_gpu.tap
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok\|^# " $W/c1/test_live_gpu.tap | cut -c1-200
pack
MODELS=llama-3-8b-262k OUT=$W/c1 timeout 280 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c1/exec-calib.log | cut -c1-100
pack
