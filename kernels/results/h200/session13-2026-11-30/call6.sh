#!/usr/bin/env bash
# call 6 (2026-11-30 session 13): call 3's binaries. Executor calibration
# runs of LWM-7B (32 KV heads; every earlier run was Llama-3-8B's 8, so the
# fit could not tell per-layer from per-KV-head terms): vllm and
# sparseserve at 2 req/s, 24 requests of 256-8,192 tokens, 12 GB cap,
# profile h200 (experiments/exec-calib.sh).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
MODELS=lwm-7b POLICIES="vllm sparseserve" RATES="2" HBM=12 DRAM=24 LIMIT=75 \
	OUT=$W/c6/lwm timeout 175 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(( $(date +%s)-t0 ))s"
tail -3 $W/c6/lwm/exec-calib.log | cut -c1-250
tar -czf $OUT/call6.tar.gz -C $W c6
