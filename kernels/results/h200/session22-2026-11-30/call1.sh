#!/usr/bin/env bash
# call 1 (2026-11-30 session 22): variant 6's merge pushed by every warp to
# the heads' owners (b: HEAD) against session 21's last kernels (a: 23f1df4)
# on one lease. The kernel GPU tests with b's binary first (every variant,
# every launch configuration; each attention case named on stderr), then
# `bench --only attn` b, a, b.
set -u
. scripts/device-call.sh 1
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; echo "tests rc $? $(el)"
grep -c "^ok" $C/test_kernels_gpu.tap; grep "^not ok" $C/test_kernels_gpu.tap; tail -3 $C/test_kernels_gpu.tap
pack
for run in b1 a1 b2; do
  if [ ${run:0:1} = a ]; then
    R=A/.gpu-carry
  else
    R=.gpu-carry
  fi
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 $R/bin/sparseserve --version >> $C/env.txt
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 timeout 150 $R/bin/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[12357]" | grep "sparse" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
