#!/usr/bin/env bash
# call 1 (2026-11-30 session 14): binaries of the commit named in env.txt.
# Huge pages for the KV directory's tables (common/ss.c ss_alloc_table),
# A/B with SS_HUGE_TABLES=off: the saturating SparseServe points under the
# 24.6 GB cap (experiments/live-points.sh; LWM-7B at 1.5 req/s, then
# Llama-3-8B-262k at 3), each with huge tables ("on") and without ("off"),
# alternating; then the live GPU tests if the time allows. A sampler logs each live process's AnonHugePages.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 585 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version;
  cat /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag;
  lscpu | head -20; } > $W/c1/env.txt 2>&1
( while :; do for p in $(pgrep -x sparseserve); do
	echo "$(date +%s) $p $(tr '\0' ' ' < /proc/$p/environ 2>/dev/null | grep -o 'SS_HUGE_TABLES=[a-z]*') $(grep AnonHugePages /proc/$p/smaps_rollup 2>/dev/null)"
  done; sleep 5; done ) > $W/c1/anonhuge.log 2>&1 &
sampler=$!
point() { # model rate limit mode
	mkdir -p $W/c1/$4
	if [ $4 = off ]; then export SS_HUGE_TABLES=off; else unset SS_HUGE_TABLES; fi
	MODEL=$1 RATE=$2 SETTINGS=cap24.6 POLICIES=sparseserve LIMIT=$3 BUDGET=$(( $(left) - 10 )) \
		OUT=$W/c1/$4 bash experiments/live-points.sh live $B/sparseserve
	echo "$1 $4 done $(el)"; pack
}
point lwm-7b 1.5 170 on
point lwm-7b 1.5 170 off
point llama-3-8b-262k 3 90 off
point llama-3-8b-262k 3 90 on
kill $sampler
if [ "$(left)" -gt 60 ]; then
	SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=$(( $(left) - 10 )) timeout $(( $(left) - 5 )) \
		$B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
	grep "^ok\|^not ok" $W/c1/test_live_gpu.tap | cut -c1-200
fi
grep "iterations" $W/c1/*/log | cut -c1-250
pack
