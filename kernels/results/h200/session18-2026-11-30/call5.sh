#!/usr/bin/env bash
# call 5 (2026-11-30 session 18): does the policy thread's cost a hit move
# with the FlashD2H scatter threads beside it? Call 3's capped workload
# (LWM-7B SparseServe, 1.5 req/s, 24 LongBench-v1-32k requests, seed 11,
# 24.6 GB, profile h200, 48 GB pool) with --d2h-threads 8 (the default)
# and 2, alternating 8 2 8 2 on one lease.
set -u
. scripts/device-call.sh 5
mkdir -p $C/runs
k=0
for d in 8 2 8 2; do
  k=$((k + 1))
  [ $(( $(date +%s) - t0 )) -gt 300 ] && break
  timeout -k 20 -s INT 90 $B/sparseserve live \
    --trace synthetic:poisson:rate=1.5:count=24:lengths=longbench-v1-32k \
    --model lwm-7b --policy sparseserve --profile calibrate/results/h200/h200.h5 \
    --hbm-budget 24.6 --dram-gb 48 --seed 11 --d2h-threads $d --quiet \
    --out $C/runs/d${d}_$k.h5 >> $C/runs/log 2>&1
  echo "d2h $d run $k rc $? $(el)"
  pack
done
for f in $C/runs/*.h5; do xz -T4 "$f"; done
pack
