#!/usr/bin/env bash
# call 3 (2026-11-30 session 13): binaries of the commit named in env.txt.
# The interference benchmark with the decode attention also as a stream of
# launches sized to ~40 ms (`bench --only concurrency`), then the full-HBM
# LWM-7B points of the measured outcomes (sparseserve, vllm-so; rate 1.5)
# and Llama-3-8B's vllm at full HBM (rate 3), as far as the time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3/points
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 530 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; cat /sys/kernel/mm/transparent_hugepage/enabled; } > $W/c3/env.txt 2>&1
cp $W/c3/env.txt $W/c3/points/env.txt
timeout 150 $B/sparseserve bench --only concurrency --out $W/c3/bench > $W/c3/bench.log 2>&1; echo "bench rc $? $(el)"
grep -E "slowdown|limit" $W/c3/bench/summary.csv | cut -c1-150
pack
MODEL=lwm-7b RATE=1.5 SETTINGS=full POLICIES="sparseserve vllm-so" LIMIT=150 BUDGET=$(( $(left) - 50 )) \
	OUT=$W/c3/points bash experiments/live-points.sh live $B/sparseserve
echo "lwm points done $(el)"
pack
MODEL=llama-3-8b-262k RATE=3 SETTINGS=full POLICIES="vllm" LIMIT=60 BUDGET=$(left) \
	OUT=$W/c3/points bash experiments/live-points.sh live $B/sparseserve
echo "points done $(el)"
grep "iterations" $W/c3/points/log | cut -c1-250
pack
