#!/usr/bin/env bash
# call 5 (2026-11-30 session 14): binaries of the commit named in env.txt.
# Variant 6 with one mbarrier per pushing CTA (call 4: one for all): the kernel GPU tests
# (every variant and launch configuration against the CPU reference), then
# `bench --only attn` (each case checked before it is timed), then the
# opt-in sweep of forced split counts.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c5/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c5/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c5/test_kernels_gpu.tap | head -30
pack
timeout 200 $B/sparseserve bench --only attn --out $W/c5/b > $W/c5/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c5/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - - - - -
pack
timeout 150 $B/sparseserve bench --only attn_sweep --out $W/c5/s > $W/c5/s.log 2>&1; echo "sweep rc $? $(el)"
grep "decode_attn" $W/c5/s.log | grep "read_same" | grep "batch=\(1\|4\),variant=[46],splits=" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}'
pack
