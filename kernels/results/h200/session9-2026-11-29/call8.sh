#!/usr/bin/env bash
# call 8 (2026-11-29 session 9): after the review: masked tokens' V
# zeroed in every variant (the GPU tests poison the tails with NaN), the
# automatic choice checks its shared memory and sm_90 device code. The
# kernel and live GPU tests, then `bench --only attn`.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c8
pack() { tar -czf $OUT/call8.tar.gz -C $W c8; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c8/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c8/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c8/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c8/test_kernels_gpu.tap | head -20
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c8/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c8/test_live_gpu.tap | cut -c1-150
pack
timeout 200 $B/sparseserve bench --only attn --out $W/c8/b > $W/c8/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c8/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - -
grep "decode_attn" $W/c8/b.log | grep "read_same" | grep "batch=1,variant=[345],splits=\(8\|16\)" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}'
pack
