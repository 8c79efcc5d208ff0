#!/usr/bin/env bash
# call 7 (2026-11-30 session 17): binaries of the commit named in env.txt,
# after review: the cluster merge's last barrier arrives with release for a
# thread that read partials it did not use; kern_hbm_gather's checks and its
# test at a non-power-of-two size past one grid-stride round. The kernel GPU
# tests, then `bench --only attn`.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c7
pack() { tar -czf $OUT/call7.tar.gz -C $W c7; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c7/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c7/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c7/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c7/test_kernels_gpu.tap | head -30
pack
timeout 150 $B/sparseserve bench --only attn --out $W/c7/b > $W/c7/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c7/b.log | grep "vs=gather" | grep -v "variant=[1-7]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=gather_same_blocks//' | paste - - - - - - -
pack
