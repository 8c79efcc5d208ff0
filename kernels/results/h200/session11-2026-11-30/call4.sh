#!/usr/bin/env bash
# call 4 (2026-11-30 session 11): binaries with the selection thread (the selection source one layer ahead of the policy) and recording each iteration's
# issue-thread time and the policy thread's waits (issue_s, wait_s): the
# live GPU tests (stop if one fails), then the executor's calibration runs
# (experiments/exec-calib.sh: Llama-3-8B-262k, vllm, vllm-s, sparseserve at
# 2 and 6 req/s) against the shipped calibration, then the validation's
# live runs (experiments/validate-h200.sh live, its defaults).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=140 timeout 150 $B/test_live_gpu > $W/c4/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c4/test_live_gpu.tap | cut -c1-200
[ "$(grep -c "^ok" $W/c4/test_live_gpu.tap)" = 8 ] || { pack; echo "live tests failed: stopping"; exit 1; }
pack
MODELS=llama-3-8b-262k OUT=$W/c4 timeout 300 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "iterations" $W/c4/exec-calib.log | cut -c1-300
pack
OUT=$W/c4/val timeout 330 bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "iterations" $W/c4/val/live.log | cut -c1-300
pack
