#!/usr/bin/env bash
# call 10 (2026-11-29 session 7): run-to-run spread of the offload policies
# live: the validation's rate-2 runs of sparseserve and vllm-so, twice
# each, back to back (validate-h200.sh live with RATES=2; binaries of
# 506dd55, the executor as in call 5).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c10
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c10/env.txt 2>&1
for k in 1 2; do
	RATES=2 POLICIES="sparseserve vllm-so" OUT=$W/c10/rep$k timeout 100 bash experiments/validate-h200.sh live $B/sparseserve; echo "rep $k rc $? $(el)"
	grep "tbt_mean_s\|blocks_loaded" $W/c10/rep$k/live.csv
	rm -f $W/c10/rep$k/live-h5.tar.gz
done
tar -czf $OUT/call10.tar.gz -C $W c10
