#!/usr/bin/env bash
# call 3 (2026-11-30 session 20): issue #7's live points on the executor
# that warms every GEMM shape, continued: Llama-3-8B-262k with the full H200
# (3 req/s, the four policies), then LWM-7B's SparseServe (1.5 req/s) under
# the 24.6 GB cap and with the full H200 (experiments/live-points.sh: 64
# requests, LongBench-v1-32k lengths, seed 1).
set -u
. scripts/device-call.sh 3
MODEL=llama-3-8b-262k RATE=3 SETTINGS=full POLICIES="sparseserve vllm-so vllm vllm-s" \
	LIMIT=90 BUDGET=280 PACK=$OUT/call3-a.tar.gz \
	OUT=$C/points timeout 300 bash experiments/live-points.sh live $B/sparseserve; echo "llama rc $? $(el)"
for f in $C/points/*.h5; do xz -T4 "$f"; done
pack
rm -f $OUT/call3-a.tar.gz
MODEL=lwm-7b RATE=1.5 SETTINGS="cap24.6 full" POLICIES=sparseserve \
	LIMIT=130 BUDGET=$(( 560 - ($(date +%s)-t0) )) PACK=$OUT/call3-b.tar.gz \
	OUT=$C/points timeout $(( 575 - ($(date +%s)-t0) )) bash experiments/live-points.sh live $B/sparseserve; echo "lwm rc $? $(el)"
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished" $C/points/*.csv | sed 's|.*/||'
for f in $C/points/*.h5; do xz -T4 "$f"; done
pack
rm -f $OUT/call3-b.tar.gz
