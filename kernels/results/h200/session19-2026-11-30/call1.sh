#!/usr/bin/env bash
# call 1 (2026-11-30 session 19): are the live executor's slow prefill
# iterations (a first-seen token count: 10-17 ms more on the issue thread,
# the GPU waiting for it) CUDA's lazy module loading? The validation's
# vllm point at 3 req/s (30 requests, uniform 1000-8000 prompts, 6 GB cap,
# seed 1) with the default loading and with CUDA_MODULE_LOADING=EAGER,
# alternating; then vllm-so at 3 req/s under EAGER, twice.
set -u
. scripts/device-call.sh 1
mkdir -p $C/runs
V="--trace synthetic:poisson:rate=3:count=30:lengths=uniform:1000:8000:32:256 --model llama-3-8b-262k --dram-gb 12 --seed 1 --quiet --hbm-budget 6"
run() { # name env policy
  local s=$(date +%s.%N)
  env $2 $B/sparseserve live $V --policy $3 --out $C/runs/$1.h5 \
    --summary-csv $C/runs/$1.csv >> $C/runs/$1.log 2>&1
  local rc=$?
  echo "$1 rc $rc wall $(awk "BEGIN{print $(date +%s.%N) - $s}") s $(el)"
}
for k in 1 2; do
  run lazy_vllm_$k CUDA_MODULE_LOADING=LAZY vllm
  run eager_vllm_$k CUDA_MODULE_LOADING=EAGER vllm
  pack
done
# the start-up alone: a one-request run each way
for m in LAZY EAGER; do
  s=$(date +%s.%N)
  env CUDA_MODULE_LOADING=$m $B/sparseserve live --trace synthetic:poisson:rate=3:count=1:lengths=uniform:1000:1000:8:8 \
    --model llama-3-8b-262k --dram-gb 12 --seed 1 --quiet --hbm-budget 6 --policy vllm \
    --out $C/runs/start_$m.h5 >> $C/runs/start.log 2>&1
  echo "start $m rc $? wall $(awk "BEGIN{print $(date +%s.%N) - $s}") s"
done
pack
for k in 1 2; do
  [ $(( $(date +%s) - t0 )) -gt 400 ] && break
  run eager_so_$k CUDA_MODULE_LOADING=EAGER vllm-so
  pack
done
for f in $C/runs/*.h5; do xz -T4 "$f"; done
pack
