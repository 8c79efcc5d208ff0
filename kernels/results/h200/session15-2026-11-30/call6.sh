#!/usr/bin/env bash
# call 6 (2026-11-30 session 15): binaries of the commit named in env.txt.
# After the review: variant 7's flag store is a release, its acquire fence is
# in the reading warp, its automatic split count is held to what its shared
# memory merges; the repeat launch poisons the first launch's records. The
# kernel GPU tests, then `bench --only attn` (every variant, checked first).
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
timeout 150 $B/sparseserve bench --only attn --out $W/c6/b > $W/c6/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c6/b.log | grep "read_same" | grep "variant=7\|variant=4" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - -
pack
