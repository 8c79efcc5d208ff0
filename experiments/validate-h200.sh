#!/usr/bin/env bash
# validate-h200.sh - the simulator checked against the live executor on the
# H200 (issue #7): the same trace slices, policies and seeds through
# `sparseserve live` (on the GPU machine) and `sparseserve sim` (anywhere,
# with the calibrated H200 profile), and a table of their differences.
#
#   OUT=DIR experiments/validate-h200.sh live [SPARSESERVE]
#       on the GPU machine: every (rate, policy) run live; writes
#       DIR/live.csv (rate,policy,metric,value), DIR/live.log and
#       DIR/live-h5.tar.gz (each run's result file)
#   experiments/validate-h200.sh table LIVE.csv [SPARSESERVE]
#       here: the same runs simulated, joined with LIVE.csv into
#       experiments/results/validation-h200.csv
#       (policy,model,rate,metric,sim,live,err_pct) and a markdown table
#
# Settings (environment): MODEL (llama-3-8b-262k), COUNT (30 requests),
# RATES ("1 2 3" req/s: at 4 and above vllm-so thrashes live, minutes per
# run), POLICIES (vllm vllm-s vllm-so sparseserve),
# LENGTHS (uniform:1000:8000:32:256 prompt/output tokens), HBM (KV cap in
# GB, 6: the offload policies must load), DRAM (pinned pool, 12 GB), SEED,
# PROFILE (h200-live: the calibrated H200 profile plus our executor's own
# costs, docs/calibration.md), DRAIN (offload.drain_saves of the simulated
# side, 1: each iteration waits for its saves to land, as the executor
# does; 0 lets them run on as in the paper's system), LIVE_ARGS (more
# options of the live runs, e.g. --serial-host: the executor before session
# 11, one host thread for the policy and the GPU work).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: validate-h200.sh live|table ...}
MODEL=${MODEL:-llama-3-8b-262k}
COUNT=${COUNT:-30}
RATES=${RATES:-"1 2 3"}
POLICIES=${POLICIES:-"vllm vllm-s vllm-so sparseserve"}
LENGTHS=${LENGTHS:-uniform:1000:8000:32:256}
HBM=${HBM:-6}
DRAM=${DRAM:-12}
SEED=${SEED:-1}
PROFILE=${PROFILE:-h200-live}
DRAIN=${DRAIN:-1}
LIVE_ARGS=${LIVE_ARGS:-}
spec() { echo "synthetic:poisson:rate=$1:count=$COUNT:lengths=$LENGTHS"; }
common() {
	echo --trace "$(spec "$1")" --model "$MODEL" --policy "$2" \
		--dram-gb "$DRAM" --seed "$SEED" --quiet
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $mode in
live)
	bin=${2:-build/sparseserve}
	OUT=${OUT:?set OUT}
	mkdir -p "$OUT"
	echo "rate,policy,metric,value" >"$OUT/live.csv.tmp"
	for r in $RATES; do
		for p in $POLICIES; do
			echo "== live rate $r policy $p" >>"$OUT/live.log"
			mkdir -p "$tmp/h5"
			# shellcheck disable=SC2046,SC2086
			"$bin" live $(common "$r" "$p") --hbm-budget "$HBM" $LIVE_ARGS \
				--out "$tmp/h5/live_r${r}_$p.h5" \
				--summary-csv "$tmp/s.csv" >>"$OUT/live.log" 2>&1
			tail -n +2 "$tmp/s.csv" | sed "s/^/$r,/" >>"$OUT/live.csv.tmp"
			echo "rate $r $p done" >&2
		done
	done
	mv "$OUT/live.csv.tmp" "$OUT/live.csv"
	# every run's per-iteration and per-request tables, in one file (the
	# GPU machine returns few files): experiments/iteration_errors.py
	tar -czf "$OUT/live-h5.tar.gz" -C "$tmp" h5
	;;
table)
	live=${2:?live.csv}
	bin=${3:-build/sparseserve}
	echo "rate,policy,metric,value" >"$tmp/sim.csv"
	for r in $RATES; do
		for p in $POLICIES; do
			# shellcheck disable=SC2046
			"$bin" sim $(common "$r" "$p") --profile "$PROFILE" \
				--set mem.hbm_budget_gb="$HBM" \
				--set offload.drain_saves="$DRAIN" --out "$tmp/run.h5" \
				--summary-csv "$tmp/s.csv" 2>/dev/null
			tail -n +2 "$tmp/s.csv" | sed "s/^/$r,/" >>"$tmp/sim.csv"
		done
	done
	python3 experiments/validation_table.py "$tmp/sim.csv" "$live" "$MODEL" \
		experiments/results/validation-h200.csv
	;;
*)
	echo "validate-h200.sh: unknown mode '$mode' (live or table)" >&2
	exit 2
	;;
esac
