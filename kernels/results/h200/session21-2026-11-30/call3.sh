#!/usr/bin/env bash
# call 3 (2026-11-30 session 21): timeline3.cu (this folder), built twice
# here for sm_90a and carried in build-s21/: "base" (call 2's kernel) and
# "new" (the warps' merge of every head at once, QK in two accumulator
# chains), run base, new, base, new.
set -u
export LD_LIBRARY_PATH=/usr/local/cuda/lib64
mkdir -p $OUT/call3
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; } > $OUT/call3/env.txt 2>&1
for r in 1 2; do for v in base new; do
timeout 200 build-s21/timeline3-$v > $OUT/call3/timeline3-$v-$r.txt 2>&1; echo "$v $r rc $?"
sed -n '/^event/,/^$/p' $OUT/call3/timeline3-$v-$r.txt
done; done
