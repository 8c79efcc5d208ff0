#!/usr/bin/env bash
# call 5 (2026-11-30 session 23): variant 6's owners merge 4 floats of S
# partials a lane (b: bfa54da, on call 2's push). The last 350 s of device
# time, so in order of need: the kernel GPU suite on b (the rest only if it
# passes), `bench --only attn` with b, the model and live GPU suites on b.
# (Session 22's kernel, a, did not travel: the tree and the two archives
# were over the device tool's 64 MiB.)
set -u
. scripts/device-call.sh 5
SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; trc=$?; echo "tests rc $trc $(el)"
grep -c "^ok" $C/test_kernels_gpu.tap; grep "^not ok" $C/test_kernels_gpu.tap; grep -B2 -A8 "not ok" $C/test_kernels_gpu.tap | head -30; tail -4 $C/test_kernels_gpu.tap
pack
[ $trc = 0 ] || exit 1
show() {
  grep "decode_attn" $C/$1.log | grep "vs=read" | grep -v "variant=[123457]" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
}
timeout 150 $B/sparseserve bench --only attn --out $C/b1 > $C/b1.log 2>&1; echo "b1 rc $? $(el)"; show b1
pack
TH_TIMEOUT=140 timeout 150 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
pack
