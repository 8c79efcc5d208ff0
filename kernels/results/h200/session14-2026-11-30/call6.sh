#!/usr/bin/env bash
# call 6 (2026-11-30 session 14): binaries of the commit named in env.txt.
# The automatic choice takes variant 6 for clusters of 2-4: the kernel GPU tests
# (every variant and launch configuration against the CPU reference), then
# `bench --only attn` (each case checked before it is timed), then the
# live GPU tests (the executor uses the automatic choice).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c6/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c6/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c6/test_kernels_gpu.tap | head -30
pack
timeout 200 $B/sparseserve bench --only attn --out $W/c6/b > $W/c6/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c6/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - - - - -
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=120 timeout 130 $B/test_live_gpu > $W/c6/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c6/test_live_gpu.tap | cut -c1-150
pack
