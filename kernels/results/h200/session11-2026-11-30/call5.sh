#!/usr/bin/env bash
# call 5 (2026-11-30 session 11): call 4's binaries (00f2a0b); vllm-so's
# validation runs at 2 and 3 req/s three more times (its blocks loaded
# follow the timing of its first evictions: the live runs' own spread).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
for k in 1 2 3; do
	OUT=$W/c5/rep$k RATES="2 3" POLICIES=vllm-so timeout 120 bash experiments/validate-h200.sh live $B/sparseserve; echo "rep$k rc $? $(el)"
	grep "iterations" $W/c5/rep$k/live.log | cut -c1-330
	pack
done
