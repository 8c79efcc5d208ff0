#!/usr/bin/env bash
# exec-calib.sh - the live executor's calibration runs (issue #7): short
# traces served live on the GPU, each iteration recording its measured wall,
# GPU and host-issue time beside the cost model's estimate of its plan
# (the `iterations` table's gpu_s, host_s, model_s). `sparseserve calibrate
# --fit-exec` fits the executor's per-layer overheads from them
# (docs/calibration.md). The traces differ from the validation's
# (experiments/validate-h200.sh): other seed, rates and lengths.
#
#   OUT=DIR experiments/exec-calib.sh SPARSESERVE PROFILE
#       on the GPU machine; writes DIR/exec-calib.tar.xz (one result file
#       per model and policy) and DIR/exec-calib.log
#
# Settings (environment): MODELS, POLICIES, RATES (req/s), COUNT, LENGTHS,
# HBM (GB), DRAM (GB), SEED, LIMIT (whole seconds a run, default 0: none; a
# run past it is stopped by SIGINT and keeps the iterations it finished, one
# killed 60 s later is dropped). A run that fails otherwise makes the script
# exit 1 after packing the others. Several rates: the host's cost per block-head
# looked up grows with the load (0.044 us at 2 req/s, 0.082 us at 6 req/s in
# experiments/results/validation-h200.md), so the fit should see both.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: exec-calib.sh SPARSESERVE PROFILE}
profile=${2:?usage: exec-calib.sh SPARSESERVE PROFILE}
OUT=${OUT:?set OUT}
MODELS=${MODELS:-"llama-3-8b-262k lwm-7b"}
POLICIES=${POLICIES:-"vllm vllm-s sparseserve"}
RATES=${RATES:-"2 6"}
COUNT=${COUNT:-24}
LENGTHS=${LENGTHS:-uniform:256:8192:64:256}
HBM=${HBM:-6}
DRAM=${DRAM:-12}
SEED=${SEED:-11}
LIMIT=${LIMIT:-0}
[[ $LIMIT =~ ^[0-9]+$ ]] || { echo "exec-calib.sh: LIMIT '$LIMIT': whole seconds" >&2; exit 2; }
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT" "$tmp/exec"
for r in $RATES; do
	for m in $MODELS; do
		for p in $POLICIES; do
			echo "== exec-calib rate $r $m $p" >>"$OUT/exec-calib.log"
			guard=()
			[ "$LIMIT" -gt 0 ] && guard=(timeout -k 60 -s INT "$LIMIT")
			out="$tmp/exec/${m}_${p}_r$r.h5"
			rc=0
			${guard[@]+"${guard[@]}"} "$bin" live --trace "synthetic:poisson:rate=$r:count=$COUNT:lengths=$LENGTHS" \
				--model "$m" --policy "$p" --profile "$profile" \
				--hbm-budget "$HBM" --dram-gb "$DRAM" --seed "$SEED" \
				--quiet --out "$out" \
				>>"$OUT/exec-calib.log" 2>&1 || rc=$?
			echo "exec-calib rate $r $m $p rc $rc" >&2
			case $rc in
			0) ;;
			124) [ "$LIMIT" -gt 0 ] || failed=1 ;; # stopped at LIMIT
			137) rm -f "$out" ;; # killed: no whole file
			*) failed=1 ;;
			esac
		done
	done
done
tar -cJf "$OUT/exec-calib.tar.xz" -C "$tmp" exec
exit "$failed"
