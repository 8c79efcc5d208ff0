#!/usr/bin/env bash
# call 4 (2026-11-30 session 23): call 2's kernel again (one push copy a
# head from each CTA; b: 2b8d791, decode_attn.cu as 4e9735e's, which passed the
# kernel GPU suite in call 2) against session 22's (a: f2a7e12) on one
# lease: the model and live GPU suites on b (the automatic choice runs it),
# `bench --only attn` b, a, b, then Nsight Compute on b's variant 6 at
# Llama-3-8B batch 1 (the first launch of the G = 4 cluster kernel in
# `bench --only attn`; details and per-instruction SASS samples).
set -u
. scripts/device-call.sh 4
mkdir -p A && tar -xJf .gpu-carry-a.tar.xz -C A
TH_TIMEOUT=140 timeout 150 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
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
  grep "decode_attn" $C/$run.log | grep "vs=read" | grep -v "variant=[123457]" | grep "batch=1,\|batch=4," | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//'
  pack
done
NCU=/usr/local/cuda/bin/ncu
timeout 120 $NCU --clock-control none --kernel-name-base demangled --kernel-name "regex:cpa_kernel<\(int\)4, \(bool\)1, \(int\)6>" --launch-count 1 --set full --import-source yes --warp-sampling-interval 0 \
  -o $C/v6 $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $C/nb > $C/ncu.log 2>&1; echo "ncu rc $? $(el)"
rm -rf $C/nb
$NCU -i $C/v6.ncu-rep --page details > $C/ncu-details.txt 2>&1
$NCU -i $C/v6.ncu-rep --page source --csv --print-source sass > $C/ncu-sass.csv 2>&1
xz -9 $C/ncu-sass.csv; rm -f $C/v6.ncu-rep
grep -E "Duration|Elapsed Cycles|DRAM Throughput" $C/ncu-details.txt | head -6
pack
