#!/usr/bin/env bash
# call 3 (2026-11-30 session 16): binaries of the commit named in env.txt.
# (1) The ablation ladder's so-ft and so-ft-wc steps of Llama-3-8B-262k under
# the 24.6 GB cap at 3 req/s (experiments/live-points.sh: 64 requests,
# LongBench-v1-32k, seed 1) on the current executor: the table's runs of
# them are session 8's, by the one-thread executor. (2) The validation's
# live runs once more on this lease (experiments/validate-h200.sh live:
# every policy at 1, 2 and 3 req/s, once), a fourth lease for the table's
# live side, whatever they show.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c3/env.txt 2>&1
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="so-ft so-ft-wc" LIMIT=100 \
	OUT=$W/c3/points timeout 230 bash experiments/live-points.sh live $B/sparseserve; echo "points rc $? $(el)"
for f in $W/c3/points/*.h5; do xz -T4 "$f"; done
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished|blocks_loaded" $W/c3/points/*.csv | sed 's|.*/||'
pack
OUT=$W/c3/val timeout $(( 575 - ($(date +%s)-t0) )) bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(el)"
pack
