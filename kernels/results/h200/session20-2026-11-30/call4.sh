#!/usr/bin/env bash
# call 4 (2026-11-30 session 20): issue #7's live points of LWM-7B (1.5
# req/s, 64 requests, LongBench-v1-32k lengths, seed 1) on the executor
# that warms every GEMM shape, continued: the full H200 for vllm, vllm-s and
# vllm-so, then the 24.6 GB cap for vllm and vllm-s as the device time
# allows (capped vllm-so ran past 150 s before and is left out).
set -u
. scripts/device-call.sh 4
MODEL=lwm-7b RATE=1.5 SETTINGS=full POLICIES="vllm vllm-s vllm-so" \
	LIMIT=130 BUDGET=300 PACK=$OUT/call4-a.tar.gz \
	OUT=$C/points timeout 320 bash experiments/live-points.sh live $B/sparseserve; echo "full rc $? $(el)"
for f in $C/points/*.h5; do xz -T4 "$f"; done
pack
rm -f $OUT/call4-a.tar.gz
MODEL=lwm-7b RATE=1.5 SETTINGS=cap24.6 POLICIES="vllm vllm-s" \
	LIMIT=185 BUDGET=$(( 555 - ($(date +%s)-t0) )) PACK=$OUT/call4-b.tar.gz \
	OUT=$C/points timeout $(( 575 - ($(date +%s)-t0) )) bash experiments/live-points.sh live $B/sparseserve; echo "cap rc $? $(el)"
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished" $C/points/*.csv | sed 's|.*/||'
for f in $C/points/*.h5; do xz -T4 "$f"; done
pack
rm -f $OUT/call4-b.tar.gz
