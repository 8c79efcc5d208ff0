#!/usr/bin/env bash
# call 4 (2026-11-30 session 16): binaries of the commit named in env.txt.
# LWM-7B's SparseServe points at 1.5 req/s (experiments/live-points.sh: 64
# requests, LongBench-v1-32k, seed 1) under the 24.6 GB cap and with the
# full H200, and vllm-so's with the full H200, on the current executor (the
# table's are sessions 13 and 14's).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
MODEL=lwm-7b RATE=1.5 SETTINGS="cap24.6 full" POLICIES=sparseserve LIMIT=150 BUDGET=330 \
	OUT=$W/c4/points timeout 400 bash experiments/live-points.sh live $B/sparseserve; echo "points rc $? $(el)"
pack
MODEL=lwm-7b RATE=1.5 SETTINGS=full POLICIES=vllm-so LIMIT=150 \
	OUT=$W/c4/points timeout $(( 575 - ($(date +%s)-t0) )) bash experiments/live-points.sh live $B/sparseserve; echo "vllm-so rc $? $(el)"
for f in $W/c4/points/*.h5; do xz -T4 "$f"; done
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished|blocks_loaded" $W/c4/points/*.csv | sed 's|.*/||'
pack
