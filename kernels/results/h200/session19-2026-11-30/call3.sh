#!/usr/bin/env bash
# call 3 (2026-11-30 session 19): the executor with the GEMM-shape warm-up
# (b459103). The model and live GPU tests (the layer test runs the sweep
# first; the live tests' runs warm up), then the validation's points at
# 3 req/s (30 requests, uniform 1000-8000 prompts, 6 GB cap, seed 1):
# vllm, vllm-so twice, sparseserve; their iterations of a token count not
# seen before should cost what the others do (call 1: 10-17 ms more).
set -u
. scripts/device-call.sh 3
TH_TIMEOUT=200 timeout 210 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
pack
mkdir -p $C/runs
V="--trace synthetic:poisson:rate=3:count=30:lengths=uniform:1000:8000:32:256 --model llama-3-8b-262k --dram-gb 12 --seed 1 --quiet --hbm-budget 6"
for x in vllm vllm-so sparseserve vllm-so; do
  [ $(( $(date +%s) - t0 )) -gt 420 ] && break
  n=${x}_$(ls $C/runs | grep -c "^${x}_.*h5$")
  timeout -k 10 -s INT 100 $B/sparseserve live $V --policy $x --out $C/runs/$n.h5 \
    --summary-csv $C/runs/$n.csv >> $C/runs/$n.log 2>&1
  echo "$n rc $? $(el)"
  pack
done
for f in $C/runs/*.h5; do xz -T4 "$f"; done
pack
