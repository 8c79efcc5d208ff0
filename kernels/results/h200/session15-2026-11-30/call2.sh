#!/usr/bin/env bash
# call 2 (2026-11-30 session 15): binaries of the commit named in env.txt.
# Is vllm-so's 3 req/s validation point (Llama-3-8B-262k, 6 GB cap) spread
# within one machine, or between machines? On one lease: vllm and vllm-so at
# 1 req/s once (the machine's speed: experiments/lease_speed.py), then
# vllm-so at 3 req/s five times (experiments/validate-h200.sh live, the
# validation's trace, seed and settings).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
OUT=$W/c2/r1 RATES=1 POLICIES="vllm vllm-so" timeout 150 bash experiments/validate-h200.sh live $B/sparseserve; echo "r1 rc $? $(el)"
pack
OUT=$W/c2/r3 RATES=3 POLICIES=vllm-so REPEATS=5 timeout 200 bash experiments/validate-h200.sh live $B/sparseserve; echo "r3 rc $? $(el)"
grep "vllm-so" $W/c2/r3/live-runs.csv | grep -E "blocks_loaded|tbt_mean|ttft_mean"
pack
