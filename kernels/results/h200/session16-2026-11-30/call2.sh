#!/usr/bin/env bash
# call 2 (2026-11-30 session 16): binaries of the commit named in env.txt.
# Issue #7's live points of Llama-3-8B-262k SparseServe at 3 req/s (64
# requests, LongBench-v1-32k lengths, seed 1), with the full H200 and under
# the 24.6 GB cap, on the current executor (the table's runs are from
# sessions 13 and 14), then executor calibration runs in that regime
# (saturated, long contexts; seed 11): sparseserve and vllm-so at 3 req/s,
# 48 requests, LongBench-v1-32k lengths, 100 GB of KV (48 GB pool), runs
# past LIMIT stopped by SIGINT and keeping the iterations they finished.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
MODEL=llama-3-8b-262k RATE=3 SETTINGS="full cap24.6" POLICIES=sparseserve LIMIT=110 \
	OUT=$W/c2/points timeout 250 bash experiments/live-points.sh live $B/sparseserve; echo "points rc $? $(el)"
for f in $W/c2/points/*.h5; do xz -T4 "$f"; done
cat $W/c2/points/*.csv | grep -E "ttft_mean|tbt_mean|throughput_tok|finished"
pack
MODELS=llama-3-8b-262k POLICIES="sparseserve vllm-so" RATES=3 LENGTHS=longbench-v1-32k COUNT=48 HBM=100 DRAM=48 LIMIT=90 \
	OUT=$W/c2/sat timeout $(( 570 - ($(date +%s)-t0) )) bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "sat rc $? $(el)"
grep -h "rc \|iterations" $W/c2/sat/exec-calib.log | cut -c1-200
pack
