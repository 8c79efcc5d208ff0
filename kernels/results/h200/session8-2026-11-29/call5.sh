#!/usr/bin/env bash
# call 5 (2026-11-29 session 8): live points of the ablation ladder
# (Figures 13 and 15: so-ft = +FlashH2D/D2H, so-ft-wc = + working-set
# control, sparseserve = + layer-segmented prefill) on Llama-3-8B-262k at
# 3 req/s under the 40 GB card's KV space (24.6 GB), the setting of session
# 5's live points (vllm, vllm-s, vllm-so, sparseserve), with call 1's
# binaries.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d)
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/env.txt 2>&1
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="so-ft so-ft-wc sparseserve" LIMIT=150 BUDGET=440 PACK=$OUT/call5-points.tar.gz OUT=$W/points bash experiments/live-points.sh live $B/sparseserve
cp $W/env.txt $W/points/ && tar -czf $OUT/call5-points.tar.gz -C $W points
for f in $W/points/*.csv; do echo "$(basename $f): $(awk -F, '$2~/^(finished|ttft_mean_s|tbt_mean_s|throughput_tok_s|blocks_loaded)$/ {printf "%s=%s ", $2, $3}' $f)"; done
