#!/usr/bin/env bash
# call 2 (2026-11-29 session 8): the validation's live runs at 1, 2, 3 req/s
# (experiments/validate-h200.sh live, its defaults: Llama-3-8B-262k, 30
# requests, 6 GB KV cap, four policies) with call 1's binaries, then
# sparseserve's rate-2 run twice more (run-to-run spread).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
OUT=$W/c2/val timeout 400 bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "wall" $W/c2/val/live.log | cut -c1-100
pack
for k in 1 2; do
	OUT=$W/c2/rep$k RATES=2 POLICIES=sparseserve timeout 60 bash experiments/validate-h200.sh live $B/sparseserve; echo "rep$k rc $? $(el)"
	pack
done
