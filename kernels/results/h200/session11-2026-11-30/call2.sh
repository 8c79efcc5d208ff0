#!/usr/bin/env bash
# call 2 (2026-11-30 session 11): the executor's calibration runs with the
# issue thread (experiments/exec-calib.sh: Llama-3-8B-262k, vllm, vllm-s,
# sparseserve at 2 and 6 req/s) against the shipped calibration, then the
# validation's offload runs at 2 and 3 req/s twice more (run-to-run spread).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
MODELS=llama-3-8b-262k OUT=$W/c2 timeout 300 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
grep "iterations" $W/c2/exec-calib.log | cut -c1-400
pack
for k in 1 2; do
	OUT=$W/c2/rep$k RATES="2 3" POLICIES="vllm-so sparseserve" timeout 120 bash experiments/validate-h200.sh live $B/sparseserve; echo "rep$k rc $? $(el)"
	grep "iterations" $W/c2/rep$k/live.log | cut -c1-300
	pack
done
