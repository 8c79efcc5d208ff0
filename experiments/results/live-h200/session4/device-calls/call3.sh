#!/usr/bin/env bash
# call 3 (2026-11-29 session 4): SparseServe live point of Figs 10-12 h200-40g LWM-7B 1.5 req/s (48 GB pinned pool: 96 GB did not finish pinning in 150 s), then full HBM vllm and sparseserve at the same trace
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/pts
run() { # name lim args...
  local name=$1 lim=$2; shift 2
  local left=$(( 430 - ($(date +%s)-t0) )); [ $lim -gt $left ] && lim=$left
  if [ $lim -lt 30 ]; then echo "skip $name (time)"; return; fi
  echo "== $name $(date -u +%T)" >> $W/pts/log
  timeout -s INT $lim $B/sparseserve live --trace synthetic:poisson:rate=1.5:count=64:lengths=longbench-v1-32k --model lwm-7b --seed 1 -v --quiet --out $W/pts/$name.h5 --summary-csv $W/pts/$name.csv "$@" >> $W/pts/log 2>&1
  echo "live $name rc $? lim $lim $(( $(date +%s)-t0 ))s"
  tar -czf $OUT/points3.tar.gz -C $W pts
}
run lwm-7b_cap24.6_r1.5_sparseserve 220 --policy sparseserve --hbm-budget 24.6 --dram-gb 48
run lwm-7b_full_r1.5_vllm 90 --policy vllm
run lwm-7b_full_r1.5_sparseserve 110 --policy sparseserve --dram-gb 48
