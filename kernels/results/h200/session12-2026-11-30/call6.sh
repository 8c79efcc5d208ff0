#!/usr/bin/env bash
# call 6 (2026-11-30 session 12): the command as it ran, on call 5's warm
# machine (a first try without unpacking the carry found no binary, rc 127):
# vllm and vllm-s's saturating Llama-3-8B-262k points under the 24.6 GB cap
# (experiments/live-points.sh, rate 3), as call 5 did for the offload ones.
tar -xJf .gpu-carry.tar.xz; export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64; W=$(mktemp -d); mkdir -p $W/c6/points; { date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; .gpu-carry/bin/sparseserve --version; } > $W/c6/points/env.txt 2>&1; MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="vllm vllm-s" LIMIT=70 BUDGET=145 OUT=$W/c6/points bash experiments/live-points.sh live .gpu-carry/bin/sparseserve; tar -czf $OUT/call6.tar.gz -C $W c6
