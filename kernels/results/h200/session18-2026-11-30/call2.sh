#!/usr/bin/env bash
# call 2 (2026-11-30 session 18): LWM-7B's SparseServe live points at 1.5
# req/s (experiments/live-points.sh: 64 requests, LongBench-v1-32k, seed 1)
# under the 24.6 GB cap and with the full H200, on one lease, now with the
# iterations' `evictions` column (session 17): does the capped run's dearer
# policy thread follow the slots it recycles? Then the capped point again
# (p2/), for the run-to-run spread.
set -u
. scripts/device-call.sh 2
MODEL=lwm-7b RATE=1.5 SETTINGS="cap24.6 full" POLICIES=sparseserve LIMIT=150 BUDGET=330 \
	OUT=$C/points timeout 400 bash experiments/live-points.sh live $B/sparseserve; echo "points rc $? $(el)"
pack
MODEL=lwm-7b RATE=1.5 SETTINGS="cap24.6" POLICIES=sparseserve LIMIT=150 \
	OUT=$C/p2 timeout $(( 570 - ($(date +%s)-t0) )) bash experiments/live-points.sh live $B/sparseserve; echo "p2 rc $? $(el)"
for f in $C/points/*.h5 $C/p2/*.h5; do [ -f "$f" ] && xz -T4 "$f"; done
grep -H -E "ttft_mean|tbt_mean|throughput_tok|finished|blocks_loaded" $C/points/*.csv $C/p2/*.csv | sed 's|.*/||'
pack
