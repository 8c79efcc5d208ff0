#!/usr/bin/env bash
# call 5 (2026-11-30 session 19): the validation's live runs with the
# executor that warms every GEMM shape (binaries of 42ae07e), a second lease:
# experiments/validate-h200.sh live, every (rate, policy) once, into
# call5/val/; then vllm-so at 3 req/s again while time is left.
set -u
. scripts/device-call.sh 5
OUT=$W/c5/val timeout $(( 560 - ($(date +%s)-t0) )) bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(el)"
pack
mkdir -p $C/so3
V="--trace synthetic:poisson:rate=3:count=30:lengths=uniform:1000:8000:32:256 --model llama-3-8b-262k --dram-gb 12 --seed 1 --quiet --hbm-budget 6"
for k in 1 2 3 4; do
  [ $(( $(date +%s) - t0 )) -gt 540 ] && break
  timeout -k 10 -s INT 60 $B/sparseserve live $V --policy vllm-so --out $C/so3/r$k.h5 \
    --summary-csv $C/so3/r$k.csv >> $C/so3/log 2>&1
  echo "vllm-so r3 extra $k rc $? $(el)"
  xz -T4 $C/so3/r$k.h5 2>/dev/null
  pack
done
