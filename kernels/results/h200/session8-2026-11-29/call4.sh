#!/usr/bin/env bash
# call 4 (2026-11-29 session 8): the offload policies' validation runs
# (vllm-so, sparseserve at 1, 2, 3 req/s) twice more with call 1's
# binaries, so that the table can use the median of three live runs
# (call 2's spread: sparseserve at 2 req/s TBT 10.7 / 12.6 / 14.5 ms).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
for k in 1 2; do
	OUT=$W/c4/off$k POLICIES="sparseserve vllm-so" timeout 270 bash experiments/validate-h200.sh live $B/sparseserve; echo "off$k rc $? $(el)"
	grep "wall" $W/c4/off$k/live.log | cut -c1-100
	pack
done
