#!/usr/bin/env bash
# call 5 (2026-11-30 session 13): call 3's binaries. LWM-7B's vllm under the 24.6 GB cap
# (rate 1.5), the last point of the measured outcomes the time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d); mkdir -p $W/c5/points
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c5/points/env.txt 2>&1
MODEL=lwm-7b RATE=1.5 SETTINGS=cap24.6 POLICIES="vllm" LIMIT=270 BUDGET=300 \
	OUT=$W/c5/points bash experiments/live-points.sh live $B/sparseserve
grep "iterations" $W/c5/points/log | cut -c1-250
tar -czf $OUT/call5.tar.gz -C $W c5
