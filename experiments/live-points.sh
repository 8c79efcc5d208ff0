#!/usr/bin/env bash
# live-points.sh - live points of Figures 10-12 on the H200 (issue #8) and
# the saturated-load outcomes of issue #7: the figures' own traces (LWM-7B,
# LongBench-v1-32k lengths, 64 requests, seed 1) served live at one rate,
# with the 40 GB card's KV space (24.6 GB) and with the full H200, beside
# the simulator on the same settings (profile h200-live: our executor's
# costs included).
#
#   OUT=DIR experiments/live-points.sh live [SPARSESERVE]
#       on the GPU machine: each (setting, policy) live, time-guarded
#       (LIMIT seconds a run; an interrupted run keeps its results, marked
#       partial); writes DIR/<setting>_r<rate>_<policy>.{h5,csv} and log
#   [SPARSESERVE=bin] experiments/live-points.sh table DIR [DIR...]
#       here: the simulated side of every live summary in the DIRs (the
#       first DIR holding a setting and policy wins) and the table
#       experiments/results/live-points-h200.csv (setting,model,rate,
#       policy,metric,sim,live,err_pct,finished,requests,source;
#       experiments/live_points_table.py)
#
# Settings (environment): RATE (1.5 req/s: past vLLM's knee under the 40 GB
# cap in the h200-40g figure), COUNT (64, the figures'), SETTINGS
# ("cap24.6 full"), POLICIES, DRAM (48 GB pinned pool for the offload
# policies: a 96 GB one did not start within 150 s on the GPU machine),
# LIMIT (150 s a run), PROFILE (profiles/h200-live.json: the file, not the
# binary's compiled-in copy, which is the last build's), DRAIN (table mode:
# offload.drain_saves of the simulated side, 1 as the executor does; see
# validate-h200.sh). Live mode only: BUDGET (s for
# all runs; a run gets at most what is left, none under 30 s) and PACK
# (a .tar.gz of DIR rewritten after every run: the GPU machine returns few
# files, and what a call killed at its limit left).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: live-points.sh live|table ...}
MODEL=${MODEL:-lwm-7b}
RATE=${RATE:-1.5}
COUNT=${COUNT:-64}
LENGTHS=${LENGTHS:-longbench-v1-32k}
POLICIES=${POLICIES:-"vllm vllm-s vllm-so sparseserve"}
SETTINGS=${SETTINGS:-"cap24.6 full"}
DRAM=${DRAM:-48}
LIMIT=${LIMIT:-150}
SEED=${SEED:-1}
PROFILE=${PROFILE:-profiles/h200-live.json}
DRAIN=${DRAIN:-1}
trace="synthetic:poisson:rate=$RATE:count=$COUNT:lengths=$LENGTHS"
cap() { case $1 in cap*) echo "${1#cap}" ;; *) echo "" ;; esac; }

case $mode in
live)
	bin=${2:-build/sparseserve}
	OUT=${OUT:?set OUT}
	BUDGET=${BUDGET:-100000}
	mkdir -p "$OUT"
	t0=$(date +%s)
	for s in $SETTINGS; do
		for p in $POLICIES; do
			name="${MODEL}_${s}_r${RATE}_$p"
			lim=$LIMIT
			left=$((BUDGET - ($(date +%s) - t0)))
			[ "$lim" -gt "$left" ] && lim=$left
			if [ "$lim" -lt 30 ]; then
				echo "live-points: $name skipped (budget)" >&2
				continue
			fi
			extra=()
			[ -n "$(cap "$s")" ] && extra+=(--hbm-budget "$(cap "$s")")
			echo "== $name $(date -u +%T)" >>"$OUT/log"
			rc=0
			# SIGINT: the run stops and writes what it finished;
			# killed 30 s later if it does not. -v: the allocations
			# and the pinning in the log, timestamped by its '=='
			# line (a run with a 96 GB pool once left no word)
			timeout -k 30 -s INT "$lim" "$bin" live --trace "$trace" \
				--model "$MODEL" --policy "$p" --dram-gb "$DRAM" \
				--seed "$SEED" --quiet -v ${extra[@]+"${extra[@]}"} \
				--out "$OUT/$name.h5" --summary-csv "$OUT/$name.csv" \
				>>"$OUT/log" 2>&1 || rc=$?
			echo "live-points: $name rc $rc" >&2
			if [ -n "${PACK:-}" ]; then
				tar -czf "$PACK.tmp" -C "$(dirname "$OUT")" \
					"$(basename "$OUT")" &&
					mv "$PACK.tmp" "$PACK"
			fi
		done
	done
	;;
table)
	shift
	[ $# -ge 1 ] || { echo "usage: live-points.sh table DIR [DIR...]" >&2; exit 2; }
	bin=${SPARSESERVE:-build/sparseserve}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	shopt -s nullglob
	for d in "$@"; do
	for f in "$d"/"${MODEL}"_*_r"${RATE}"_*.csv; do
		[ -f "$tmp/$(basename "$f" .csv).sim.csv" ] && continue
		name=$(basename "$f" .csv)
		rest=${name#"${MODEL}_"}
		s=${rest%%_*}
		p=${rest##*_}
		extra=()
		[ -n "$(cap "$s")" ] && extra+=(--set "mem.hbm_budget_gb=$(cap "$s")")
		"$bin" sim --trace "$trace" --model "$MODEL" --policy "$p" \
			--profile "$PROFILE" --dram-gb "$DRAM" --seed "$SEED" \
			--set offload.drain_saves="$DRAIN" \
			--quiet ${extra[@]+"${extra[@]}"} --out "$tmp/run.h5" \
			--summary-csv "$tmp/$name.sim.csv"
		echo "live-points: simulated $name" >&2
	done
	done
	python3 experiments/live_points_table.py "$tmp" "$MODEL" "$RATE" \
		experiments/results/live-points-h200.csv "$@"
	;;
*)
	echo "live-points.sh: unknown mode '$mode' (live or table)" >&2
	exit 2
	;;
esac
