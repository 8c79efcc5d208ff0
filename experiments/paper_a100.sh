#!/usr/bin/env bash
# paper_a100.sh - the SparseServe paper's evaluation setting in the
# simulator (issue 3, "Measured outcomes"), and the same on the H200.
#
#   experiments/paper_a100.sh [BUILD_DIR] [JOBS]
#
# Settings (one simulator process per setting x policy, JOBS at a time):
#   a100-40g  lwm-7b           longbench-v1-32k   rates 0.1 0.125 0.2 0.3, and
#             0.6 (past the paper's range: where vLLM-S saturates)
#   a100-40g  llama-3-8b-262k  longbench-v1-128k  rate 0.2
#   h200      lwm-7b           longbench-v1-32k   rates 0.3 1.5, full HBM
#   h200      lwm-7b           longbench-v1-32k   rates 0.3 1.5, KV capped
#             (mem.hbm_budget_gb=24.6: the KV space a100-40g leaves for lwm-7b)
# policies vllm, vllm-s, vllm-so, sparseserve everywhere; the ablation
# ladder (so-ft, so-ft-wc) on a100-40g lwm-7b at 0.2 and 0.6 req/s.
# COUNT requests per run (default 40), seed 1, all config defaults.
# A100_PROFILE and H200_PROFILE name the profiles (defaults a100-40g and
# h200, the calibrated ones; the hand-written ones are a100-40g-paper and
# h200-analytic). The profile name is part of every file name, so runs of
# different profiles share the directory and the table.
#
# Writes experiments/paper_a100/<setting>_<policy>.csv (policy,metric,value
# summaries), <setting>_<policy>.log (its stderr), wall*.txt (simulator
# wall seconds per run, JOBS runs sharing the machine) and,
# through experiments/paper_table.py, table.csv and table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=${2:-2}
COUNT=${COUNT:-40}
A100=${A100_PROFILE:-a100-40g}
H200=${H200_PROFILE:-h200}
OUT=experiments/paper_a100
BIN=$BUILD/sparseserve
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "no $BIN: build first (meson compile -C $BUILD)" >&2; exit 1; }

runs=()
add() { # profile model lengths rate cap_gb policies...
	local prof=$1 model=$2 len=$3 rate=$4 cap=$5
	shift 5
	for pol in "$@"; do
		runs+=("$prof $model $len $rate $cap $pol")
	done
}
base="vllm vllm-s vllm-so sparseserve"
for r in 0.1 0.125 0.2 0.3 0.6; do add $A100 lwm-7b longbench-v1-32k $r 0 $base; done
add $A100 lwm-7b longbench-v1-32k 0.2 0 so-ft so-ft-wc
add $A100 lwm-7b longbench-v1-32k 0.6 0 so-ft so-ft-wc
add $A100 llama-3-8b-262k longbench-v1-128k 0.2 0 $base
for r in 0.3 1.5; do add $H200 lwm-7b longbench-v1-32k $r 0 $base; done
for r in 0.3 1.5; do add $H200 lwm-7b longbench-v1-32k $r 24.6 $base; done

one() { # one run; prints "tag wall_s"
	local prof=$1 model=$2 len=$3 rate=$4 cap=$5 pol=$6
	local tag="${prof}_${model}_${len}_r${rate}_cap${cap}_${pol}"
	local t0 t1
	# resume: a run with a log was done (or is running) already
	[ -e "$OUT/$tag.log" ] && return 0
	t0=$(date +%s.%N)
	"$BIN" sim --trace "synthetic:poisson:rate=$rate:count=$COUNT:lengths=$len" \
		--model "$model" --profile "$prof" --policy "$pol" --seed 1 \
		--set "mem.hbm_budget_gb=$cap" --quiet \
		--out "/tmp/paper_a100_$tag.h5" --summary-csv "$OUT/$tag.csv" \
		2>"$OUT/$tag.log" || { echo "$tag FAILED" >&2; cat "$OUT/$tag.log" >&2; return 1; }
	t1=$(date +%s.%N)
	rm -f "/tmp/paper_a100_$tag.h5"
	echo "$tag $(echo "$t1 - $t0" | bc)"
}
export -f one
export BIN OUT COUNT
wall="$OUT/wall-$(date +%s).txt"
printf '%s\n' "${runs[@]}" | xargs -P "$JOBS" -I{} bash -c 'one {}' >"$wall"
python3 experiments/paper_table.py "$OUT" "$COUNT"
