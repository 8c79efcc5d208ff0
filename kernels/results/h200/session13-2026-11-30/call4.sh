#!/usr/bin/env bash
# call 4 (2026-11-30 session 13): call 3's binaries. LWM-7B's vllm-s at full
# HBM (rate 1.5), the last point of the measured outcomes the time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d); mkdir -p $W/c4/points
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c4/points/env.txt 2>&1
MODEL=lwm-7b RATE=1.5 SETTINGS=full POLICIES="vllm-s" LIMIT=170 BUDGET=200 \
	OUT=$W/c4/points bash experiments/live-points.sh live $B/sparseserve
grep "iterations" $W/c4/points/log | cut -c1-250
tar -czf $OUT/call4.tar.gz -C $W c4
