#!/usr/bin/env bash
# call 1 (2026-11-29 session 4): calibration (six layouts per per-block copy), executor calibration runs at 2 and 6 req/s + fit, RoPE benchmark
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
OUT=$OUT bash scripts/gpu-run.sh calibrate > $OUT/gpu-run.log 2>&1; echo "calibrate+exec rc $? $(( $(date +%s)-t0 ))s"
W=$(mktemp -d)
if [ $(( $(date +%s)-t0 )) -lt 500 ]; then
  timeout 60 $B/sparseserve bench --only rope --out $W/rope > $W/rope.log 2>&1; echo "rope rc $? $(( $(date +%s)-t0 ))s"
  tar -czf $OUT/rope.tar.gz -C $W .
fi
ls $OUT
