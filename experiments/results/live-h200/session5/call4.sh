#!/usr/bin/env bash
# call 4 (2026-11-29 session 5): the validation runs again with this
# session's executor (decode attention trimmed to the decoding slots since
# session 4), then Llama-3-8B-262k live points at 3 req/s with the full
# H200 (vllm, sparseserve) and vllm-so with the 40 GB card's KV space.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c4/env.txt 2>&1
RATES="1 2 3" OUT=$W/c4/val timeout 400 bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(( $(date +%s)-t0 ))s"
tar -czf $OUT/call4.tar.gz -C $W c4
left=$(( 570 - ($(date +%s)-t0) ))
MODEL=llama-3-8b-262k RATE=3 SETTINGS=full POLICIES="sparseserve vllm" LIMIT=100 BUDGET=$left PACK=$OUT/call4-points.tar.gz OUT=$W/c4/points bash experiments/live-points.sh live $B/sparseserve
left=$(( 570 - ($(date +%s)-t0) ))
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES=vllm-so LIMIT=100 BUDGET=$left PACK=$OUT/call4-points.tar.gz OUT=$W/c4/points bash experiments/live-points.sh live $B/sparseserve
for f in $W/c4/points/*.csv; do echo "$(basename $f): $(awk -F, '$2~/^(finished|ttft_mean_s|tbt_mean_s|throughput_tok_s|blocks_loaded)$/ {printf "%s=%s ", $2, $3}' $f)"; done
tar -czf $OUT/call4.tar.gz -C $W c4
