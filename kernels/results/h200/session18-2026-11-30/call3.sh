#!/usr/bin/env bash
# call 3 (2026-11-30 session 18): executor calibration runs of one workload
# at three KV capacities, on one lease, twice: LWM-7B SparseServe at 1.5
# req/s, 24 LongBench-v1-32k requests, seed 11 (exec-calib.sh; profile
# h200), with --hbm-budget 24.6, 100 and 12 GB in turn. The fit's hit term
# grows with log2 of the capacity, fitted where capacity came with prompt
# length; these runs vary the capacity alone (and record `evictions`).
set -u
. scripts/device-call.sh 3
for rep in 1 2; do
  for hbm in 24.6 100 12; do
    MODELS=lwm-7b POLICIES=sparseserve RATES=1.5 LENGTHS=longbench-v1-32k COUNT=24 HBM=$hbm DRAM=48 LIMIT=80 \
      OUT=$C/h${hbm}_$rep timeout 120 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5
    echo "h${hbm}_$rep rc $? $(el)"
    pack
    [ $(( $(date +%s) - t0 )) -gt 470 ] && break 2
  done
done
grep -h "rc \|iterations" $C/*/exec-calib.log | cut -c1-200
pack
