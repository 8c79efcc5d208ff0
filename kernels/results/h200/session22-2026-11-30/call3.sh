#!/usr/bin/env bash
# call 3 (2026-11-30 session 22): variant 6's owners merge warp by warp,
# no empty splits, variant 6 the automatic choice for cluster plans (b:
# HEAD). Kernel GPU tests, the timeline3 probe rebuilt from this kernel
# (build-s22/timeline3-new), `bench --only attn` once, then the model and
# live GPU suites (the automatic choice changed under them).
set -u
. scripts/device-call.sh 3
SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; echo "tests rc $? $(el)"
grep -c "^ok" $C/test_kernels_gpu.tap; grep "^not ok" $C/test_kernels_gpu.tap; grep -B2 -A8 "not ok" $C/test_kernels_gpu.tap | head -30
pack
timeout 120 build-s22/timeline3-new > $C/timeline3-new.txt 2>&1; echo "timeline rc $? $(el)"
sed -n '/^event/,/^$/p' $C/timeline3-new.txt; grep -A12 "^  v6 " $C/timeline3-new.txt | tail -12
pack
$B/sparseserve bench --only attn --out $C/b1 > $C/b1.log 2>&1
echo "b1 rc $? $(el)"
grep "decode_attn" $C/b1.log | grep "vs=read" | grep -v "variant=[12357]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
pack
TH_TIMEOUT=140 timeout 150 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
pack
