#!/usr/bin/env bash
# call 4 (2026-11-30 session 17): binaries of the commit named in env.txt.
# The cluster merge with a relaxed last arrive (variant 8 removed): the
# kernel GPU tests (its sum against the CPU's), then `bench --only attn`
# (every decode attention case also against the ideal gather of its
# blocks, ",vs=gather_same_blocks").
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c4/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c4/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c4/test_kernels_gpu.tap | head -30
pack
timeout 260 $B/sparseserve bench --only attn --out $W/c4/b > $W/c4/b.log 2>&1; echo "bench rc $? $(el)"
grep "hbm_gather\|hbm_read" $W/c4/b.log | sed 's/ \+/ /g' | awk '{print $2, $3, $4}'
grep "decode_attn" $W/c4/b.log | grep "vs=" | grep -v "variant=[1357]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//'
pack
