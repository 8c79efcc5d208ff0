#!/usr/bin/env bash
# call 1 (2026-11-30 session 13): binaries of the commit named in env.txt.
# The live GPU tests on main's live.c (stop if one fails); the executor's
# calibration runs with long contexts (experiments/exec-calib.sh:
# Llama-3-8B-262k, LongBench-v1-32k lengths, 32 requests, the 24.6 GB cap,
# profile h200 so model_s carries no executor terms): sparseserve at 1 and
# 3 req/s, vllm-so at 3; then the full-HBM Llama points of the measured
# outcomes (experiments/live-points.sh) as far as the time allows.
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
MODELS=llama-3-8b-262k POLICIES=sparseserve RATES="1 3" LENGTHS=longbench-v1-32k COUNT=32 HBM=24.6 DRAM=48 LIMIT=90 \
	OUT=$W/c1/long1 timeout 230 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib ss rc $? $(el)"
pack
MODELS=llama-3-8b-262k POLICIES=vllm-so RATES="3" LENGTHS=longbench-v1-32k COUNT=32 HBM=24.6 DRAM=48 LIMIT=90 \
	OUT=$W/c1/long2 timeout 120 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib so rc $? $(el)"
pack
mkdir -p $W/c1/points
MODEL=llama-3-8b-262k RATE=3 SETTINGS=full POLICIES="sparseserve vllm-so vllm-s" LIMIT=110 BUDGET=$(( $(left) - 15 )) \
	OUT=$W/c1/points PACK=$OUT/call1-points.tar.gz bash experiments/live-points.sh live $B/sparseserve
echo "points done $(el)"
grep "iterations" $W/c1/points/log | cut -c1-250
pack
