#!/usr/bin/env bash
# call 7 (2026-11-29 session 6): the prefill benchmark with a 500 ms pause
# after the GEMM-rate measurement (the automatic 4k case right after it read
# 13% low in calls 5 and 6), the 70B TP-8 share and Llama-3.1-8B.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c7
pack() { tar -czf $OUT/call7.tar.gz -C $W c7; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c7/env.txt 2>&1
timeout 120 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --out $W/c7/b-70b > $W/c7/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
timeout 150 $B/sparseserve bench --only prefill_attn --model llama-3.1-8b --out $W/c7/b-8b > $W/c7/b-8b.log 2>&1; echo "bench 8b rc $? $(el)"
for f in $W/c7/b-*/summary.csv; do grep "variant=auto\|variant=6" $f | cut -d, -f1-4,8-; done
pack
