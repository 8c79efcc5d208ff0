#!/usr/bin/env bash
# call 1 (2026-11-30 session 16): binaries of the commit named in env.txt.
# Executor calibration runs on one machine, for the executor fit's offload
# terms (issue #7): the fit had one vllm-so run, from another machine than
# most of its sparseserve runs.
#   `short`: Llama-3-8B-262k, vllm, vllm-s, vllm-so and sparseserve at 2 and
#     6 req/s, 24 requests of 256-8,192 prompt tokens, 6 GB of KV (the
#     script's defaults but the policies);
#   `long`: vllm-so and sparseserve with LongBench-v1-32k prompts at 1 req/s
#     under the 24.6 GB cap (48 GB pool), runs past LIMIT stopped by SIGINT
#     and keeping the iterations they finished.
# Seed 11 (the validation and the points use seed 1), profile h200 (model_s
# without executor terms).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
MODELS=llama-3-8b-262k POLICIES="vllm vllm-s vllm-so sparseserve" RATES="2 6" LIMIT=60 \
	OUT=$W/c1/short timeout 300 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "short rc $? $(el)"
pack
MODELS=llama-3-8b-262k POLICIES="vllm-so sparseserve" RATES=1 LENGTHS=longbench-v1-32k COUNT=24 HBM=24.6 DRAM=48 LIMIT=90 \
	OUT=$W/c1/long timeout $(( 570 - ($(date +%s)-t0) )) bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "long rc $? $(el)"
grep -h "rc \|iterations" $W/c1/*/exec-calib.log | cut -c1-200
pack
