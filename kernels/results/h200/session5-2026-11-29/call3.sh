#!/usr/bin/env bash
# call 3 (2026-11-29 session 5): prefill variant 6 with the combine kernel
# spread over 8x more CTAs (tests, then the 70B share's benchmark), the
# selection kernel of session 3 again (reverted), then live points of
# Llama-3-8B-262k at a saturating rate (3 req/s; 40 GB card's KV space).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c3/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu t_prefill_attn_small_wgmma t_attn_large_wgmma t_bad_inputs > $W/c3/test_model_gpu.tap 2>&1; echo "model tests rc $? $(( $(date +%s)-t0 ))s"
grep "^ok\|^not ok" $W/c3/test_model_gpu.tap | grep -v "not selected"
TH_TIMEOUT=100 timeout 120 $B/test_kernels_gpu t_select_topk t_select_topk_long > $W/c3/test_kernels_gpu.tap 2>&1; echo "select tests rc $? $(( $(date +%s)-t0 ))s"
grep "^ok\|^not ok" $W/c3/test_kernels_gpu.tap | grep -v "not selected"
timeout 120 $B/sparseserve bench --only select --out $W/c3/b-select > $W/c3/b-select.log 2>&1; echo "bench select rc $? $(( $(date +%s)-t0 ))s"
grep "^select" $W/c3/b-select/summary.csv
timeout 150 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --out $W/c3/b-70b > $W/c3/b-70b.log 2>&1; echo "bench 70b rc $? $(( $(date +%s)-t0 ))s"
grep "^prefill_attn" $W/c3/b-70b/summary.csv | grep -v "variant=[123]"
pack
left=$(( 560 - ($(date +%s)-t0) ))
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="vllm-s sparseserve vllm" LIMIT=150 BUDGET=$left PACK=$OUT/call3-points.tar.gz OUT=$W/c3/points bash experiments/live-points.sh live $B/sparseserve
for f in $W/c3/points/*.csv; do echo "$(basename $f): $(awk -F, '$2~/^(finished|ttft_mean_s|tbt_mean_s|throughput_tok_s|blocks_loaded)$/ {printf "%s=%s ", $2, $3}' $f)"; done
pack
