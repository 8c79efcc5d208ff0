#!/usr/bin/env bash
# call 6 (2026-11-29 session 8): the live GPU tests after the review fixes
# (each preset's logits against dense vllm with the within-budget rows read
# whole and, live_opts.sparse_all, through the sparse path; check_whole on
# every DSA layer), then executor calibration runs with long prompts
# (Llama-3-8B-262k, vllm and vllm-s, 1 req/s, prompts 12k-32k): call 1's
# runs had prompts of at most 8k, which left the chunked-prefill gather
# term unpinned for LongBench-length prompts.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=110 timeout 115 $B/test_live_gpu > $W/c6/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok\|^# " $W/c6/test_live_gpu.tap | cut -c1-160
pack
MODELS=llama-3-8b-262k POLICIES="vllm vllm-s" RATES=1 COUNT=8 LENGTHS=uniform:12000:32000:16:64 HBM=24 SEED=13 OUT=$W/c6 timeout 90 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c6/exec-calib.log | cut -c1-100
pack
