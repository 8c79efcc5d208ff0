#!/usr/bin/env bash
# call 2 (2026-11-29 session 4): calibration with interleaved per-block copies; live points of Figs 10-12 (h200-40g, LWM-7B, 1.5 req/s, the figure's own trace)
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
SS_NO_EXEC_CALIB=1 OUT=$OUT bash scripts/gpu-run.sh calibrate > $OUT/gpu-run.log 2>&1; echo "calibrate rc $? $(( $(date +%s)-t0 ))s"
rm -f $OUT/calibrate.log   # in gpu-run.log
W=$(mktemp -d); mkdir -p $W/pts
for p in sparseserve vllm vllm-s vllm-so; do
  left=$(( 560 - ($(date +%s)-t0) )); lim=150; [ $p = vllm-so ] && lim=60; [ $lim -gt $left ] && lim=$left
  if [ $lim -lt 20 ]; then echo "skip $p (time)"; continue; fi
  timeout -s INT $lim $B/sparseserve live --trace synthetic:poisson:rate=1.5:count=64:lengths=longbench-v1-32k --model lwm-7b --policy $p --hbm-budget 24.6 --dram-gb 96 --seed 1 --quiet --out $W/pts/lwm-7b_cap24.6_r1.5_$p.h5 --summary-csv $W/pts/lwm-7b_cap24.6_r1.5_$p.csv >> $W/pts/log 2>&1
  echo "live $p rc $? lim $lim $(( $(date +%s)-t0 ))s"
  tar -czf $OUT/points.tar.gz -C $W pts
done
ls -la $OUT
