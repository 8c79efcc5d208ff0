#!/usr/bin/env bash
# call 7 (2026-11-30 session 14): binaries of the commit named in env.txt
# (main's executor and kernels). The spread of the live runs: SparseServe's
# saturating Llama-3-8B-262k point under the 24.6 GB cap twice more (rate 3;
# call 1 measured it twice, session 12 once), then LWM-7B's vllm under the
# cap (rate 1.5; session 13 call 5 once) as far as the time allows.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c7
pack() { tar -czf $OUT/call7.tar.gz -C $W c7; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 380 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c7/env.txt 2>&1
for k in a b; do
	MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES=sparseserve LIMIT=90 BUDGET=$(( $(left) - 5 )) \
		OUT=$W/c7/$k bash experiments/live-points.sh live $B/sparseserve
	echo "llama ss $k done $(el)"; pack
done
MODEL=lwm-7b RATE=1.5 SETTINGS=cap24.6 POLICIES=vllm LIMIT=200 BUDGET=$(( $(left) - 5 )) \
	OUT=$W/c7/v bash experiments/live-points.sh live $B/sparseserve
echo "lwm vllm done $(el)"
grep -h "iterations" $W/c7/*/log | cut -c1-200
pack
