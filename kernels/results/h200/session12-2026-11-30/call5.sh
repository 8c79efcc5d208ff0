#!/usr/bin/env bash
# call 5 (2026-11-30 session 12): call 3's live code (binaries of the commit
# named in env.txt). The saturating Llama-3-8B-262k points under the 24.6 GB
# KV cap (experiments/live-points.sh, rate 3, 64 requests, LongBench-v1-32k
# lengths) for the offload policies, now with the executor's issue and
# selection threads (session 8's were on one host thread): sparseserve and
# vllm-so, as far as the device time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5/points
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c5/points/env.txt 2>&1
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="sparseserve vllm-so" LIMIT=110 BUDGET=215 \
	OUT=$W/c5/points PACK=$OUT/call5.tar.gz bash experiments/live-points.sh live $B/sparseserve
echo "points done $(( $(date +%s)-t0 ))s"
tar -czf $OUT/call5.tar.gz -C $W c5
