#!/usr/bin/env bash
# call 2 (2026-11-30 session 14): binaries of the commit named in env.txt.
# Executor calibration runs of LWM-7B with long prompts (LongBench-v1-32k
# lengths; its earlier calibration runs had prompts of 8,192 tokens at most,
# the live points' are 32k): `cap` under the 24.6 GB cap at 1 req/s
# (vllm-s, sparseserve, vllm; 48 GB pool), `big` with 100 GB of KV at
# 1.5 req/s (vllm, vllm-s). 24 requests, seed 11 (the points use seed 1),
# profile h200 (model_s without executor terms). Runs past LIMIT stop by
# SIGINT and keep the iterations they finished.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
MODELS=lwm-7b POLICIES="vllm-s sparseserve vllm" RATES=1 LENGTHS=longbench-v1-32k COUNT=24 HBM=24.6 DRAM=48 LIMIT=95 \
	OUT=$W/c2/cap timeout 320 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "cap rc $? $(el)"
pack
MODELS=lwm-7b POLICIES="vllm vllm-s" RATES=1.5 LENGTHS=longbench-v1-32k COUNT=24 HBM=100 DRAM=48 LIMIT=80 \
	OUT=$W/c2/big timeout $(( 580 - ($(date +%s)-t0) )) bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "big rc $? $(el)"
grep -h "iterations" $W/c2/*/exec-calib.log | cut -c1-220
pack
