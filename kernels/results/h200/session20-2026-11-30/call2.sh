#!/usr/bin/env bash
# call 2 (2026-11-30 session 20): issue #7's live points of Llama-3-8B-262k
# (experiments/live-points.sh: 64 requests, LongBench-v1-32k lengths, seed
# 1, 3 req/s) under the 24.6 GB cap, every policy of the table (the four and
# the ladder's so-ft and so-ft-wc), on the executor that warms every GEMM
# shape (session 19): the table's runs of them are sessions 12-16's, with
# cuBLAS's first-shape stalls.
set -u
. scripts/device-call.sh 2
MODEL=llama-3-8b-262k RATE=3 SETTINGS=cap24.6 POLICIES="sparseserve vllm-so vllm vllm-s so-ft so-ft-wc" \
	LIMIT=90 BUDGET=500 PACK=$OUT/call2-points.tar.gz \
	OUT=$C/points timeout 540 bash experiments/live-points.sh live $B/sparseserve; echo "points rc $? $(el)"
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished" $C/points/*.csv | sed 's|.*/||'
for f in $C/points/*.h5; do xz -T4 "$f"; done
pack
rm -f $OUT/call2-points.tar.gz
