#!/usr/bin/env bash
# call 1 (2026-11-30 session 12): binaries of session 11's last code (the
# issue thread's per-layer gap events, the executor attribute's
# SIM_MODEL_S_BY_LAYER mark): the live GPU tests (stop if one fails), the
# executor's calibration runs (experiments/exec-calib.sh, Llama-3-8B-262k;
# their model_s now prices layer-segmented prefill by layer range, so the
# fit can take those iterations), then the validation's live runs
# (experiments/validate-h200.sh live, all policies, one run each) in the
# time left.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 585 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=140 timeout 150 $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c1/test_live_gpu.tap | cut -c1-200
[ "$(grep -c "^ok" $W/c1/test_live_gpu.tap)" = 8 ] || { pack; echo "live tests failed: stopping"; exit 1; }
pack
MODELS=llama-3-8b-262k OUT=$W/c1 timeout 200 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "iterations" $W/c1/exec-calib.log | cut -c1-300
pack
OUT=$W/c1/val timeout $(left) bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "iterations" $W/c1/val/live.log | cut -c1-300
pack
