#!/usr/bin/env bash
# refit-mean.sh - held-out MAPE per op of five stored H200 calibrations,
# refitted with this build's fitting code (calibrate --refit; no GPU):
#   bash calibrate/results/h200/session6/refit-mean.sh build/sparseserve > OUT
# Session 6 ran it twice: with the per-point reduction as the median
# (refit-median.txt; the code before commit "calibrate: the mean of the
# repetitions per grid point") and as the mean (refit-mean.txt).
set -euo pipefail
bin=${1:-build/sparseserve}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (all but the first stored xz-compressed since session 7: the device tool
# carries at most 64 MiB of working tree)
for f in calibrate/results/h200/session3/h200.h5 calibrate/results/h200/session4/call2/h200.h5 \
	kernels/results/h200/session6-2026-11-29/call1/h200.h5 \
	kernels/results/h200/session6-2026-11-29/call6/h200.h5 \
	kernels/results/h200/session6-2026-11-29/call12/h200-llama.h5; do
	in=$f
	if [ ! -f "$f" ]; then
		xz -dc "$f.xz" >"$tmp/in.h5"
		in=$tmp/in.h5
	fi
	"$bin" calibrate --refit "$in" --out "$tmp/r.h5" >/dev/null
	echo "# $f"
	"$bin" calibrate --report "$tmp/r.h5" --csv
done
