#!/usr/bin/env bash
# call 2 (2026-11-29 session 9): decode attention variant 4 (blocks staged
# in shared memory by cp.async, three per warp in flight, ldmatrix
# fragments): the kernel GPU tests (variant 4 in every decode case), then
# `bench --only attn` (",variant=N" rows for 1-4, forced split counts of
# variants 3 and 4 at Llama-3-8B batch 1, 4, 16, the same-size ideal reads).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
TH_TIMEOUT=80 timeout 90 $B/test_kernels_gpu > $W/c2/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c2/test_kernels_gpu.tap; grep -A3 "^not ok" $W/c2/test_kernels_gpu.tap | head -20
pack
timeout 260 $B/sparseserve bench --only attn --out $W/c2/b > $W/c2/b.log 2>&1; echo "bench rc $? $(el)"
grep -E "sparse_decode_attn" $W/c2/b.log | grep "read_same" | grep -v "variant=1" | awk '{print $2, $6, $9}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
grep -E "dense_decode_attn" $W/c2/b.log | grep "read_same" | grep -v "variant=1\|splits" | awk '{print $2, $6, $9}' | sed 's/,vs=read_same_bytes//'
tail -3 $W/c2/b.log
pack
