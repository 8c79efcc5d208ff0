#!/usr/bin/env bash
# call 1 (2026-11-30 session 21): timeline.cu (this folder; built here as
# its header says, carried in build-s21/): where inside the sparse decode
# attention at Llama-3-8B batch 1 the time goes.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64
mkdir -p $OUT/call1
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; } > $OUT/call1/env.txt 2>&1
timeout 300 build-s21/timeline > $OUT/call1/timeline.txt 2>&1; echo "probe rc $?"
cat $OUT/call1/timeline.txt
