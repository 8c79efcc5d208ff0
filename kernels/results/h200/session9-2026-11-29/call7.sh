#!/usr/bin/env bash
# call 7 (2026-11-29 session 9): the shipped decode attention: automatic =
# variant 4 or 5 (cp.async) for small problems, 2 for large; the pull
# cluster merge of call 5 (call 6.s push merge measured slower and was
# reverted). The kernel and live GPU tests, then
# `bench --only attn`.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c7
pack() { tar -czf $OUT/call7.tar.gz -C $W c7; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c7/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c7/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c7/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c7/test_kernels_gpu.tap | head -20
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c7/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c7/test_live_gpu.tap | cut -c1-150
pack
timeout 330 $B/sparseserve bench --only attn --out $W/c7/b > $W/c7/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c7/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - -
grep "decode_attn" $W/c7/b.log | grep "read_same" | grep "batch=1,variant=[345],splits=\(8\|16\)" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}'
pack
