#!/usr/bin/env bash
# validate-h200.sh - the simulator checked against the live executor on the
# H200 (issue #7): the same trace slices, policies and seeds through
# `sparseserve live` (on the GPU machine) and `sparseserve sim` (anywhere,
# with the calibrated H200 profile), and a table of their differences.
#
#   OUT=DIR experiments/validate-h200.sh live [SPARSESERVE]
#       on the GPU machine: every (rate, policy) run live REPEATS times;
#       writes DIR/live.csv (rate,policy,metric,value: the median over the
#       repeats), DIR/live-runs.csv (run,rate,policy,metric,value: every
#       run), DIR/live.log and DIR/live-h5.tar.xz (each run's result file)
#   experiments/validate-h200.sh merge DIR RUNS.csv [RUNS.csv...]
#       here: the live runs of several calls (leases) as one live side,
#       DIR/live.csv (the medians over all of them) and DIR/live-runs.csv;
#       each RUNS.csv a live-runs.csv, or a live.csv (one run); paths are
#       relative to the repository root (the script runs from there)
#   experiments/validate-h200.sh table LIVE.csv [SPARSESERVE]
#       here: the same runs simulated, joined with LIVE.csv into
#       experiments/results/validation-h200.csv
#       (policy,model,rate,metric,sim,live,err_pct) and a markdown table;
#       with SENS > 0 also the same runs at cost.gpu_scale 1 - SENS and
#       1 + SENS: experiments/results/validation-h200-sensitivity.csv (each
#       point's band for a GPU that much faster or slower, the live runs'
#       range, the point's elasticity to the GPU's speed)
#
# Settings (environment): MODEL (llama-3-8b-262k), COUNT (30 requests),
# RATES ("1 2 3" req/s: at 4 and above vllm-so thrashes live, minutes per
# run), POLICIES (vllm vllm-s vllm-so sparseserve),
# LENGTHS (uniform:1000:8000:32:256 prompt/output tokens), HBM (KV cap in
# GB, 6: the offload policies must load), DRAM (pinned pool, 12 GB), SEED,
# PROFILE (profiles/h200-live.json: the calibrated H200 profile plus our
# executor's own costs, docs/calibration.md; the file, not the binary's
# compiled-in copy of h200-live, which is the last build's), DRAIN (offload.drain_saves of the simulated
# side, 1: each iteration waits for its saves to land, as the executor
# does; 0 lets them run on as in the paper's system), LIVE_ARGS (more
# options of the live runs, e.g. --serial-host: the executor before session
# 11, one host thread for the policy and the GPU work), REPEATS (live runs
# of each point, 1; the live side is their median: some policies' loads
# follow the timing of their first evictions and move between identical
# runs, experiments/results/validation-h200.md "Session 11").
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: validate-h200.sh live|merge|table ...}
MODEL=${MODEL:-llama-3-8b-262k}
COUNT=${COUNT:-30}
RATES=${RATES:-"1 2 3"}
POLICIES=${POLICIES:-"vllm vllm-s vllm-so sparseserve"}
LENGTHS=${LENGTHS:-uniform:1000:8000:32:256}
HBM=${HBM:-6}
DRAM=${DRAM:-12}
SEED=${SEED:-1}
PROFILE=${PROFILE:-profiles/h200-live.json}
DRAIN=${DRAIN:-1}
LIVE_ARGS=${LIVE_ARGS:-}
REPEATS=${REPEATS:-1}
# the table's sensitivity band: the GPU this much faster and slower than the
# profile (0.025: the half-range of the dense policies' GPU speed over the
# live runs' machines, experiments/lease_speed.py; 0 = no band)
SENS=${SENS:-0.025}
case $REPEATS in
'' | *[!0-9]* | 0)
	echo "validate-h200.sh: REPEATS: '$REPEATS' is not a positive whole number" >&2
	exit 2
	;;
esac
spec() { echo "synthetic:poisson:rate=$1:count=$COUNT:lengths=$LENGTHS"; }
common() {
	echo --trace "$(spec "$1")" --model "$MODEL" --policy "$2" \
		--dram-gb "$DRAM" --seed "$SEED" --quiet
}
# The median over the runs of each (rate, policy, metric) in run files
# (run,rate,policy,metric,value; a header each); one run's values are
# copied as they are.
medians() {
	awk -F, 'FNR > 1 {
		k = $2 "," $3 "," $4
		if (!(k in c)) o[n++] = k
		x[k, c[k]++] = $5
	}
	END {
		print "rate,policy,metric,value"
		for (i = 0; i < n; i++) {
			k = o[i]; m = c[k]
			if (m == 1) { print k "," x[k, 0]; continue }
			for (a = 0; a < m; a++) y[a] = x[k, a] + 0
			for (a = 1; a < m; a++) {
				t = y[a]
				for (b = a - 1; b >= 0 && y[b] > t; b--) y[b + 1] = y[b]
				y[b + 1] = t
			}
			med = m % 2 ? y[int(m / 2)] : (y[m / 2 - 1] + y[m / 2]) / 2
			printf "%s,%.10g\n", k, med
		}
	}' "$@"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $mode in
live)
	bin=${2:-build/sparseserve}
	OUT=${OUT:?set OUT}
	mkdir -p "$OUT"
	echo "run,rate,policy,metric,value" >"$tmp/runs.csv"
	mkdir -p "$tmp/h5"
	for r in $RATES; do
		for p in $POLICIES; do
			for k in $(seq 1 "$REPEATS"); do
				name=live_r${r}_$p
				[ "$REPEATS" = 1 ] || name=${name}_run$k
				echo "== live rate $r policy $p run $k" >>"$OUT/live.log"
				# shellcheck disable=SC2046,SC2086
				"$bin" live $(common "$r" "$p") --hbm-budget "$HBM" \
					$LIVE_ARGS --out "$tmp/h5/$name.h5" \
					--summary-csv "$tmp/s.csv" >>"$OUT/live.log" 2>&1
				tail -n +2 "$tmp/s.csv" | sed "s/^/$k,$r,/" >>"$tmp/runs.csv"
				echo "rate $r $p run $k done" >&2
			done
		done
	done
	medians "$tmp/runs.csv" >"$OUT/live.csv.tmp"
	cp "$tmp/runs.csv" "$OUT/live-runs.csv"
	mv "$OUT/live.csv.tmp" "$OUT/live.csv"
	# every run's per-iteration and per-request tables, in one file (the
	# GPU machine returns few files): experiments/iteration_errors.py
	tar -cJf "$OUT/live-h5.tar.xz" -C "$tmp" h5
	;;
merge)
	# the runs of several calls (leases) as one live side: DIR/live.csv
	# (their medians) and DIR/live-runs.csv (every run, renumbered)
	dir=${2:?usage: validate-h200.sh merge DIR RUNS.csv [RUNS.csv...]}
	shift 2
	[ $# -gt 0 ] || {
		echo "validate-h200.sh merge: no live-runs.csv given" >&2
		exit 2
	}
	for f in "$@"; do
		[ -f "$f" ] || {
			echo "validate-h200.sh merge: $f: no such file" >&2
			exit 2
		}
	done
	mkdir -p "$dir"
	# a live.csv (rate,policy,metric,value: the calls before REPEATS)
	# counts as one run
	awk -F, -v OFS=, 'FNR == 1 {
			base += last; last = 0; one = $1 == "rate"
			if (NR == 1) print "run,rate,policy,metric,value"
			next
		}
		NF < 4 { next } # a blank line
		one { last = 1; print base + 1, $0; next }
		{ if ($1 > last) last = $1; $1 = $1 + base; print }' "$@" >"$tmp/runs.csv"
	medians "$tmp/runs.csv" >"$dir/live.csv.tmp"
	cp "$tmp/runs.csv" "$dir/live-runs.csv"
	mv "$dir/live.csv.tmp" "$dir/live.csv"
	;;
table)
	live=${2:?live.csv}
	bin=${3:-build/sparseserve}
	# the runs at GPU speed scale $1 into $2
	simulate() {
		echo "rate,policy,metric,value" >"$2"
		for r in $RATES; do
			for p in $POLICIES; do
				# shellcheck disable=SC2046
				"$bin" sim $(common "$r" "$p") --profile "$PROFILE" \
					--set mem.hbm_budget_gb="$HBM" \
					--set offload.drain_saves="$DRAIN" \
					--set cost.gpu_scale="$1" --out "$tmp/run.h5" \
					--summary-csv "$tmp/s.csv" 2>/dev/null
				tail -n +2 "$tmp/s.csv" | sed "s/^/$r,/" >>"$2"
			done
		done
	}
	simulate 1 "$tmp/sim.csv"
	band=()
	if awk -v s="$SENS" 'BEGIN { exit !(s + 0 > 0 && s + 0 <= 0.99) }'; then
		lo=$(awk -v s="$SENS" 'BEGIN { printf "%.6g", 1 - s }')
		hi=$(awk -v s="$SENS" 'BEGIN { printf "%.6g", 1 + s }')
		simulate "$lo" "$tmp/sim-lo.csv"
		simulate "$hi" "$tmp/sim-hi.csv"
		band=("$tmp/sim-lo.csv" "$tmp/sim-hi.csv" "$SENS")
	elif ! awk -v s="$SENS" 'BEGIN { exit !(s ~ /^[0.]+$/) }'; then
		echo "validate-h200.sh: SENS: '$SENS' is not 0 or a number in (0, 0.99]" >&2
		exit 2
	fi
	python3 experiments/validation_table.py "$tmp/sim.csv" "$live" "$MODEL" \
		experiments/results/validation-h200.csv ${band[@]+"${band[@]}"}
	;;
*)
	echo "validate-h200.sh: unknown mode '$mode' (live, merge or table)" >&2
	exit 2
	;;
esac
