#!/usr/bin/env bash
# call 4 (2026-11-29 session 4): decode attention list_bound + live batch trim: GPU decode tests, the live LWM-7B full-HBM vllm point again, live GPU tests with what time is left
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
TH_TIMEOUT=120 timeout 150 $B/test_kernels_gpu t_dense_decode_attn t_sparse_decode_attn > $W/c4/test_kernels_gpu.tap 2>&1; echo "decode tests rc $? $(( $(date +%s)-t0 ))s"
grep "^ok\|^not ok\|passed" $W/c4/test_kernels_gpu.tap | head
tar -czf $OUT/call4.tar.gz -C $W c4
timeout -s INT 95 $B/sparseserve live --trace synthetic:poisson:rate=1.5:count=64:lengths=longbench-v1-32k --model lwm-7b --seed 1 --quiet --policy vllm --out $W/c4/lwm-7b_full_r1.5_vllm.h5 --summary-csv $W/c4/lwm-7b_full_r1.5_vllm.csv > $W/c4/live.log 2>&1; echo "live vllm rc $? $(( $(date +%s)-t0 ))s"
cat $W/c4/lwm-7b_full_r1.5_vllm.csv | grep -E "ttft_mean|tbt_mean|throughput_tok|finished"
tar -czf $OUT/call4.tar.gz -C $W c4
left=$(( 270 - ($(date +%s)-t0) ))
if [ $left -gt 30 ]; then
  SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=$left timeout $left $B/test_live_gpu offload_and_layer_prefill_match_dense_gqa every_policy_serves_a_trace > $W/c4/test_live_gpu.tap 2>&1; echo "live tests rc $? $(( $(date +%s)-t0 ))s"
  grep "^ok\|^not ok\|passed" $W/c4/test_live_gpu.tap
fi
tar -czf $OUT/call4.tar.gz -C $W c4
