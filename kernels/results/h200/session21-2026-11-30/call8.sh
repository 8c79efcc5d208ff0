#!/usr/bin/env bash
# call 8 (2026-11-30 session 21): the float4 merges again with the
# last cluster barrier's arrive made warp-uniform (c: the landed tree 03c1627
# plus kernels/experimental/decode_attn_float4_merge.patch, built from a
# worktree) against the landed kernels (a: HEAD's binaries of call 7).
# Does the hang of calls 4-5 go? t_sparse_decode_attn with c's binary,
# each case named; then `bench --only attn` c, a.
set -u
. scripts/device-call.sh 8
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
SS_TEST_TRACE=1 TH_TIMEOUT=50 timeout 60 $B/test_kernels_gpu t_sparse_decode_attn t_dense_decode_attn > $C/test_kernels_gpu.tap 2>&1; echo "tests rc $? $(el)"
grep -c attn_case $C/test_kernels_gpu.tap; grep "^not ok\|^ok 1[34]" $C/test_kernels_gpu.tap
pack
for run in c1 a1; do
  if [ ${run:0:1} = a ]; then R=A/.gpu-carry; else R=.gpu-carry; fi
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 $R/bin/sparseserve --version >> $C/env.txt
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 timeout 120 $R/bin/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[1-7]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
