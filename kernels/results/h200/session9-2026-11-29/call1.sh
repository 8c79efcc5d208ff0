#!/usr/bin/env bash
# call 1 (2026-11-29 session 9): decode attention with the slot fetch in
# the first round trip (planned split ranges) and variant 3's cluster
# merge issuing every CTA's partial at once: the kernel GPU tests, then
# `bench --only attn` (automatic and ",variant=3" rows, forced cluster
# sizes at Llama-3-8B batch 1 and 4, the same-size ideal reads).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=60 timeout 70 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c1/test_kernels_gpu.tap; grep "^not ok" $W/c1/test_kernels_gpu.tap
pack
timeout 200 $B/sparseserve bench --only attn --out $W/c1/b > $W/c1/b.log 2>&1; echo "bench rc $? $(el)"
grep -E "sparse_decode_attn|dense_decode_attn" $W/c1/b.log | grep -v "variant=1" | grep "read_same" | cut -c1-150
pack
