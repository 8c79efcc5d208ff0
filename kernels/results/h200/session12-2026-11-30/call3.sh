#!/usr/bin/env bash
# call 3 (2026-11-30 session 12): binaries of the commit before this
# script's (layer-prefill hidden states from reused buffers, no cudaMalloc
# in the loop): the live GPU tests (stop if one fails), the executor's
# calibration runs (experiments/exec-calib.sh, Llama-3-8B-262k), then
# sparseserve's validation points three times each (REPEATS=3).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 585 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c3/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=140 timeout 150 $B/test_live_gpu > $W/c3/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c3/test_live_gpu.tap | cut -c1-200
[ "$(grep -c "^ok" $W/c3/test_live_gpu.tap)" = 8 ] || { pack; echo "live tests failed: stopping"; exit 1; }
pack
MODELS=llama-3-8b-262k OUT=$W/c3 timeout 200 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
pack
OUT=$W/c3/val POLICIES=sparseserve REPEATS=3 timeout $(left) bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "iterations" $W/c3/val/live.log | cut -c1-200
pack
