#!/usr/bin/env bash
# call 8 (2026-11-29 session 6): the decode attention's merge in one pass
# (online rescale per warp, one L2 round trip per 32 splits): the kernel
# tests, then the attention benchmark.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c8
pack() { tar -czf $OUT/call8.tar.gz -C $W c8; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c8/env.txt 2>&1
TH_TIMEOUT=100 timeout 120 $B/test_kernels_gpu t_sparse_decode_attn t_dense_decode_attn t_bad_inputs > $W/c8/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^ok\|^not ok" $W/c8/test_kernels_gpu.tap | grep -v "not selected"
timeout 150 $B/sparseserve bench --only attn --out $W/c8/b-attn > $W/c8/b-attn.log 2>&1; echo "bench attn rc $? $(el)"
grep -i "fail" $W/c8/b-attn.log | head -3
grep "decode_attn" $W/c8/b-attn/summary.csv | grep -v "variant=1\|splits=" | cut -d, -f1-4,8-
pack
