#!/usr/bin/env bash
# call 4 (2026-11-29 session 7): with the final binaries of the session
# (decode attention as in session 6 again, live selection trimmed to the
# decoding rows): the executor's calibration runs (Llama-3-8B-262k, rates
# 2 and 6) against call 3's calibration (refitted here: calibrate/results/h200/h200.h5), then the validation's live runs
# at 1, 2 and 3 req/s.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
MODELS=llama-3-8b-262k OUT=$W/c4 timeout 260 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c4/exec-calib.log | cut -c1-100
pack
OUT=$W/c4/val timeout 300 bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "wall" $W/c4/val/live.log | cut -c1-100
pack
