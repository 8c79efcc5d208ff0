#!/usr/bin/env bash
# call 5 (2026-11-29 session 7): the validation's live runs at 1, 2 and 3
# req/s (experiments/validate-h200.sh live, its defaults: Llama-3-8B-262k,
# 30 requests, 6 GB KV cap, four policies) with call 4's binaries.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
OUT=$W/c5/val timeout 560 bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "wall" $W/c5/val/live.log | cut -c1-100
tar -czf $OUT/call5.tar.gz -C $W c5
