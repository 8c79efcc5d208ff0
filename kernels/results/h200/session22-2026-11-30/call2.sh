#!/usr/bin/env bash
# call 2 (2026-11-30 session 22): variant 6's warps' records copied to the
# heads' owners by cp.async.bulk (b: HEAD). The kernel GPU tests (every
# variant, every launch configuration), then session 21's timeline3.cu
# probe built from this kernel (build-s22/timeline3-new, carried; build
# lines in its header, with build-s22 in build-s21's place), then
# `bench --only attn` once (variant 4 and 6 rows in the same run).
set -u
. scripts/device-call.sh 2
SS_TEST_TRACE=1 TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; echo "tests rc $? $(el)"
grep -c "^ok" $C/test_kernels_gpu.tap; grep "^not ok" $C/test_kernels_gpu.tap; tail -3 $C/test_kernels_gpu.tap
pack
timeout 120 build-s22/timeline3-new > $C/timeline3-new.txt 2>&1; echo "timeline rc $? $(el)"
sed -n '/^event/,/^$/p' $C/timeline3-new.txt; grep -A12 "^  v6 " $C/timeline3-new.txt; grep -A12 "^  v4 " $C/timeline3-new.txt
pack
for run in b1; do
  $B/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[12357]" | grep "sparse" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
