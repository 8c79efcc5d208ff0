#!/usr/bin/env bash
# call 2 (2026-11-30 session 13): call 1's binaries. The LWM-7B points of
# the measured outcomes under the 24.6 GB cap (experiments/live-points.sh,
# rate 1.5, 64 LongBench-v1-32k requests) with the threaded executor:
# sparseserve, vllm-so, then vllm-s and vllm as far as the time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2/points
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c2/points/env.txt 2>&1
MODEL=lwm-7b RATE=1.5 SETTINGS=cap24.6 POLICIES="sparseserve vllm-so vllm-s vllm" LIMIT=150 BUDGET=570 \
	OUT=$W/c2/points PACK=$OUT/call2.tar.gz bash experiments/live-points.sh live $B/sparseserve
echo "points done $(el)"
grep "iterations" $W/c2/points/log | cut -c1-250
tar -czf $OUT/call2.tar.gz -C $W c2
