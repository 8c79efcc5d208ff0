#!/usr/bin/env bash
# call B (2026-11-29 session 3): live GPU tests, validation runs, outcome runs (time-guarded)
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d)
t0=$(date +%s)
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=300 $B/test_live_gpu > $W/test_live_gpu.tap 2>&1; echo "live tests rc $? $(( $(date +%s)-t0 ))s"
grep "^ok\|^not ok" $W/test_live_gpu.tap
RATES="1 2 3" OUT=$W/val bash experiments/validate-h200.sh live $B/sparseserve; echo "validation $(( $(date +%s)-t0 ))s"
cp $W/val/live.csv $OUT/live.csv
mkdir -p $W/outcome
for m in lwm-7b llama-3-8b-262k; do for cap in 24.6 0; do for p in vllm vllm-s vllm-so sparseserve; do
  if [ $(( $(date +%s)-t0 )) -gt 520 ]; then echo "skip $m $cap $p (time)"; continue; fi
  extra=""; [ "$cap" != 0 ] && extra="--hbm-budget $cap"
  timeout 120 $B/sparseserve live --trace synthetic:poisson:rate=0.5:count=10:lengths=longbench-v1-32k --model $m --policy $p $extra --dram-gb 48 --seed 3 --quiet --out $W/outcome/${m}_cap${cap}_$p.h5 --summary-csv $W/outcome/${m}_cap${cap}_$p.csv >> $W/outcome/log 2>&1
  echo "outcome $m cap $cap $p rc $? $(( $(date +%s)-t0 ))s"
done; done; done
tar -czf $OUT/callB.tar.gz -C $W .
