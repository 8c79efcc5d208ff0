#!/usr/bin/env bash
# call 2 (2026-11-30 session 21): timeline2.cu (this folder; built here as
# its header says, carried in build-s21/): the finer phases of the batch-1
# attention, and the case with its code warm.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64
mkdir -p $OUT/call2
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; } > $OUT/call2/env.txt 2>&1
timeout 300 build-s21/timeline2 > $OUT/call2/timeline2.txt 2>&1; echo "probe rc $?"
cat $OUT/call2/timeline2.txt
