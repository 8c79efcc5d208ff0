#!/usr/bin/env bash
# call 6 (2026-11-30 session 22): the kept kernels (HEAD; decode_attn.cu the
# same as c9f2a92's, which calls 3-5 ran as b or a), `bench --only attn`
# three times on one lease, for the spread of Llama-3-8B batch 1.
set -u
. scripts/device-call.sh 6
for run in r1 r2 r3; do
  timeout 150 $B/sparseserve bench --only attn --out $C/$run > $C/$run.log 2>&1
  echo "$run rc $? $(el)"
  grep "decode_attn" $C/$run.log | grep "vs=read\|vs=gather" | grep -v "variant=" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//'
  pack
done
