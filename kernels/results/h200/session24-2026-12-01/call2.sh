#!/usr/bin/env bash
# call 2 (2026-12-01 session 24): variant 6's tail, two steps on one lease.
# b (a9108c0): the cluster barrier waited for after the blocks' copies are
# issued, not at the push; c (932b3e8): b, and each CTA merges its warps'
# partials and pushes one record a head (owners merge S partials, not S W);
# a: session 23's kernel (1212b61). Kernel GPU tests with c and b (the
# benches only if both pass), the timeline3 probe built from c's kernel,
# then `bench --only attn` c, b, a, c.
set -u
. scripts/device-call.sh 2
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
mkdir -p Cc/.gpu-carry && tar -xJf .gpu-carry-c.tar.xz -C Cc/.gpu-carry && cp -r .gpu-carry/lib Cc/.gpu-carry/
tar -xJf .gpu-carry-t.tar.xz
for v in c b; do
  if [ $v = c ]; then R=Cc/.gpu-carry; else R=.gpu-carry; fi
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $R/bin/test_kernels_gpu > $C/test_kernels_gpu-$v.tap 2>&1; trc=$?; echo "tests $v rc $trc $(el)"
  grep -c "^ok" $C/test_kernels_gpu-$v.tap; grep "^not ok" $C/test_kernels_gpu-$v.tap; grep -B2 -A8 "not ok" $C/test_kernels_gpu-$v.tap | head -30; tail -2 $C/test_kernels_gpu-$v.tap
  pack
  [ $trc = 0 ] || exit 1
done
timeout 60 build-s24/timeline3-new > $C/timeline3-new.txt 2>&1; echo "timeline rc $? $(el)"
sed -n '/^event/,/^$/p' $C/timeline3-new.txt; grep -A12 "^  v6 " $C/timeline3-new.txt | tail -12
pack
for run in c1 b1 a1 c2; do
  case ${run:0:1} in a) R=A/.gpu-carry ;; b) R=.gpu-carry ;; c) R=Cc/.gpu-carry ;; esac
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 $R/bin/sparseserve --version >> $C/env.txt
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 timeout 150 $R/bin/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[123457]" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
