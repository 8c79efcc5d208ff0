#!/usr/bin/env bash
# call 4 (2026-12-01 session 24): the kept kernel (b: c6cbe26, call 3's
# variant 6 with its records' buffer sized to S + G - 1 records) against
# session 23's (a: 1212b61) on one lease. The kernel, model and live GPU
# suites with b (the benches only if all pass), then `bench --only attn`
# b, a, b, a.
set -u
. scripts/device-call.sh 4
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
for t in test_kernels_gpu test_model_gpu test_live_gpu; do
  SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/$t > $C/$t.tap 2>&1; trc=$?; echo "$t rc $trc $(el)"
  grep -c "^ok" $C/$t.tap; grep "^not ok" $C/$t.tap; grep -B2 -A8 "not ok" $C/$t.tap | head -30; tail -2 $C/$t.tap
  pack
  [ $trc = 0 ] || exit 1
done
for run in b1 a1 b2 a2; do
  if [ ${run:0:1} = a ]; then R=A/.gpu-carry; else R=.gpu-carry; fi
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 $R/bin/sparseserve --version >> $C/env.txt
  LD_LIBRARY_PATH=$PWD/$R/lib:/usr/local/cuda/lib64 timeout 150 $R/bin/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[123457]" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
