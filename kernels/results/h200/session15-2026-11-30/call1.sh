#!/usr/bin/env bash
# call 1 (2026-11-30 session 15): binaries of the commit named in env.txt.
# Decode attention variant 7 (variant 4's kernel without a cluster, merged
# by the CTA that finds every split's flag set): the kernel GPU tests (every
# variant and launch configuration against the CPU reference, variant 7
# twice on one workspace), `bench --only attn` (every variant, each case
# checked before it is timed), then `bench --only attn_sweep` (forced split
# counts, variants 3-7).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c1/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c1/test_kernels_gpu.tap | head -30
pack
timeout 220 $B/sparseserve bench --only attn --out $W/c1/b > $W/c1/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c1/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - - - - - -
pack
timeout 170 $B/sparseserve bench --only attn_sweep --out $W/c1/s > $W/c1/s.log 2>&1; echo "sweep rc $? $(el)"
grep "sparse_decode_attn" $W/c1/s.log | grep "read_same" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
pack
