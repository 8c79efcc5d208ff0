#!/usr/bin/env bash
# call 3 (2026-12-01 session 24): variant 6's CTA merge a warp a head (b:
# 7d325a4; on the early cluster wait and the one-record push of call 2, with
# no second CTA barrier) against session 23's kernel (a: 1212b61) on one
# lease. Kernel GPU tests with b (the benches only if they pass), the
# timeline3 probe built from b's kernel, then `bench --only attn` b, a, b, a.
set -u
. scripts/device-call.sh 3
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
tar -xJf .gpu-carry-t.tar.xz
SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; trc=$?; echo "tests rc $trc $(el)"
grep -c "^ok" $C/test_kernels_gpu.tap; grep "^not ok" $C/test_kernels_gpu.tap; grep -B2 -A8 "not ok" $C/test_kernels_gpu.tap | head -30; tail -2 $C/test_kernels_gpu.tap
pack
[ $trc = 0 ] || exit 1
timeout 60 build-s24/timeline3-new > $C/timeline3-new.txt 2>&1; echo "timeline rc $? $(el)"
sed -n '/^event/,/^$/p' $C/timeline3-new.txt; grep -A12 "^  v6 " $C/timeline3-new.txt | tail -12
pack
for run in b1 a1 b2 a2; do
  if [ ${run:0:1} = a ]; then R=A/.gpu-carry; else R=.gpu-carry; fi
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 $R/bin/sparseserve --version >> $C/env.txt
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 timeout 150 $R/bin/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[123457]" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
