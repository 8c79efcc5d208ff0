#!/usr/bin/env bash
# call 5 (2026-11-30 session 15): binaries of the commit named in env.txt
# (call 3's). The validation's live runs a third time with the warm-up, on
# another lease (experiments/validate-h200.sh live: every policy at 1, 2 and
# 3 req/s), then vllm-so at 2 req/s twice more (REPEATS=2).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
OUT=$W/c5/val timeout 380 bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(el)"
pack
OUT=$W/c5/so2 RATES=2 POLICIES=vllm-so REPEATS=2 timeout 120 bash experiments/validate-h200.sh live $B/sparseserve; echo "vllm-so r2 rc $? $(el)"
grep -h "blocks_loaded\|tbt_mean" $W/c5/val/live-runs.csv $W/c5/so2/live-runs.csv | grep "vllm-so"
pack
