#!/usr/bin/env bash
# main-job.sh - the README's main job: the Mooncake conversation trace
# (real Kimi production traffic, 12,031 requests in one hour) through the
# `vllm` and `vllm-s` policies on the shipped H200 profile with
# Llama-3-8B-Instruct-262k, printing the comparison and writing a figure.
#
# Installs missing Debian packages, builds, runs. Outputs in out/main/:
#   run.h5 (everything), requests.csv, summary.csv, ttft_tbt.png
# Extra arguments are passed to `sparseserve sim` (e.g. --limit 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
meson compile -C build sparseserve >/dev/null
mkdir -p out/main
# One H200 cannot serve this cluster-sized trace at its real rate (3.4 req/s
# of 12k-token prompts is ~0.7 PFLOP/s of prefill alone), so arrivals are
# stretched 4x (--rate-scale 0.25): the same requests, in the same order.
./build/sparseserve sim \
	--trace traces/data/conversation_trace.jsonl --format mooncake \
	--model llama-3-8b-262k --profile h200 --policy vllm,vllm-s \
	--rate-scale 0.25 --seed 1 \
	--out out/main/run.h5 --csv out/main/requests.csv \
	--summary-csv out/main/summary.csv "$@"
gnuplot -e "csv='out/main/requests.csv'; out='out/main/ttft_tbt.png.tmp.png'; \
policies='vllm vllm-s'; title='Mooncake conversation trace (x0.25 rate), Llama-3-8B-262k, H200 profile'" \
	plots/ttft_tbt.gp
mv out/main/ttft_tbt.png.tmp.png out/main/ttft_tbt.png
echo "figure: out/main/ttft_tbt.png; results: out/main/run.h5, out/main/requests.csv, out/main/summary.csv"
