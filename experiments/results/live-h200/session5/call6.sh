#!/usr/bin/env bash
# call 6 (2026-11-29 session 5): LWM-7B SparseServe with the full H200 at
# 1.5 req/s to completion (session 4's run stopped at 41 of 64), with the
# device time left.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d)
MODEL=lwm-7b RATE=1.5 SETTINGS=full POLICIES=sparseserve LIMIT=${LIMIT:-180} BUDGET=${LIMIT:-180} PACK=$OUT/call6-points.tar.gz OUT=$W/points bash experiments/live-points.sh live $B/sparseserve
for f in $W/points/*.csv; do echo "$(basename $f): $(awk -F, '$2~/^(finished|ttft_mean_s|tbt_mean_s|throughput_tok_s|blocks_loaded)$/ {printf "%s=%s ", $2, $3}' $f)"; done
