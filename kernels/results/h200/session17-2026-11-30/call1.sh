#!/usr/bin/env bash
# call 1 (2026-11-30 session 17): binaries of the commit named in env.txt.
# Decode attention variant 8 (variant 4's kernel with one stage a warp, two
# CTAs an SM, clusters asked to spread): the kernel GPU tests (every variant
# and launch configuration against the CPU reference), `bench --only attn`
# (every variant, each case checked before it is timed), then
# `bench --only attn_sweep` (forced split counts, variants 3-8; 4 and 8 at
# batch 1 with 9-14 splits).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c1/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c1/test_kernels_gpu.tap | head -30; grep "variant 8" $W/c1/test_kernels_gpu.tap
pack
timeout 230 $B/sparseserve bench --only attn --out $W/c1/b > $W/c1/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c1/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - - - - - - -
pack
timeout 190 $B/sparseserve bench --only attn_sweep --out $W/c1/s > $W/c1/s.log 2>&1; echo "sweep rc $? $(el)"
grep "sparse_decode_attn" $W/c1/s.log | grep "read_same" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
pack
