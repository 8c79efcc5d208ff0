#!/usr/bin/env bash
# figures.sh - regenerate every simulated figure of EXPERIMENTS.md (issue 8).
#
#   bash scripts/figures.sh [OUTDIR]          (default: out/figures)
#
# Steps: install missing Debian packages (scripts/deps.sh: gnuplot-nox,
# meson, HDF5, GSL, ...); build the simulator in build-fig/ (no CUDA,
# release); write the what-if profiles (experiments/figures/profiles.py)
# and the list of runs as one sweep spec (experiments/figures/runs.py);
# build and run the Figure 8 locality driver (experiments/figures/
# overlap.c); run the sweep on every core (`sparseserve sweep`, progress
# and ETA on stderr when it is a terminal); turn the results into data
# files and tables (experiments/figures/extract.py, and validation.py for
# the simulated-vs-live figure from the committed experiments/results/
# validation-h200.csv: no GPU); draw each figure as PNG and SVG with
# gnuplot (plots/fig*.gp).
#
# Environment:
#   FIGURES_QUICK=1   one tiny figure end to end (Figs 10-12 on a100-40g,
#                     two rates, 6 requests) and the simulated-vs-live
#                     figure (no simulation): the test of this driver
#   FIG_COUNT=N       requests per online run (default 64
#                     for both models)
#   FIG_SAMPLE=N      KV heads simulated per layer by offload policies
#                     (offload.sample_heads; default 4; 0 = full fidelity)
#   FIG_JOBS=N        sweep worker processes (default: all cores)
#   BUILD=DIR         build directory (default build-fig)
# Deterministic: every run has the same fixed seed (the sweep's seed 1);
# rerunning gives byte-identical data files (wall times excepted).
# Outputs under OUTDIR: spec.json, runs.csv, sweep.h5/.csv, data/,
# numbers.md, fig*.png, fig*.svg, wall.txt, provenance.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/figures}
BUILD=${BUILD:-build-fig}
QUICK=${FIGURES_QUICK:-0}
JOBS=${FIG_JOBS:-$(nproc)}
t0=$(date +%s)
say() { echo "figures: $*" >&2; }

bash scripts/deps.sh
if [ ! -f "$BUILD/build.ninja" ]; then
	say "configuring $BUILD"
	meson setup "$BUILD" -Dcuda=disabled -Dbuildtype=release >/dev/null
fi
say "building $BUILD/sparseserve"
ninja -C "$BUILD" -j1 sparseserve >/dev/null
BIN=$BUILD/sparseserve

mkdir -p "$OUT/data"
quick=()
[ "$QUICK" = 1 ] && quick=(--quick)
python3 experiments/figures/profiles.py "$OUT"
[ -f "$OUT/spec.json" ] && cp "$OUT/spec.json" "$OUT/spec.prev.json"
n=$(python3 experiments/figures/runs.py "$OUT" "${quick[@]}")
# results of another spec (other counts or runs) cannot be resumed
if ! cmp -s "$OUT/spec.json" "$OUT/spec.prev.json" 2>/dev/null; then
	rm -f "$OUT/sweep.h5" "$OUT/sweep.h5.journal" "$OUT/sweep.csv"
fi
rm -f "$OUT/spec.prev.json"
say "$n simulator runs (FIG_COUNT=${FIG_COUNT:-64}, FIG_SAMPLE=${FIG_SAMPLE:-4}, $JOBS workers)"
# provenance: the tree and the profiles the numbers come from
{
	echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
	echo "tree $(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "dirty files under sim/ policy/ model/ profiles/:" \
		$(git status --porcelain -- sim policy model profiles 2>/dev/null |
			awk '{print $2}')
	for f in profiles/*.json; do echo "profile $(sha256sum "$f")"; done
	echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores"
} >"$OUT/provenance.txt"

if [ "$QUICK" != 1 ]; then
	say "Figure 8: locality model overlap"
	libs=$(pkg-config --libs hdf5 gsl libcjson 2>/dev/null ||
		echo "-lhdf5_serial -lgsl -lgslcblas -lcjson")
	cflags=$(pkg-config --cflags hdf5 2>/dev/null ||
		echo "-I/usr/include/hdf5/serial")
	# shellcheck disable=SC2086
	cc -O2 -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L \
		-D_DEFAULT_SOURCE -I. -Icommon -Imodel -I"$BUILD" $cflags \
		experiments/figures/overlap.c -o "$OUT/overlap" \
		-Wl,--start-group "$BUILD/libsparseserve_core.a" \
		"$BUILD/libsspolicy.a" "$BUILD/kernels/libsskernels.a" \
		-Wl,--end-group $libs -lm -pthread
	"$OUT/overlap" 7 >"$OUT/data/overlap.csv"
fi

say "simulating (sparseserve sweep; --resume continues an interrupted run)"
resume=()
[ -f "$OUT/sweep.h5" ] || [ -f "$OUT/sweep.h5.journal" ] && resume=(--resume)
t1=$(date +%s)
status=0
nice -n 5 "$BIN" sweep "$OUT/spec.json" -j "$JOBS" -o "$OUT/sweep.h5" \
	--csv "$OUT/sweep.csv" --quiet "${resume[@]}" || {
	say "some runs failed: see the error column of $OUT/sweep.csv"
	status=1
}
t2=$(date +%s)

say "extracting data and tables"
python3 experiments/figures/extract.py "$OUT" "${quick[@]}"
python3 experiments/figures/validation.py "$OUT"

say "plotting"
plot() { # script out-stem var=value...
	local gp=$1 stem=$2
	shift 2
	local vars="dir='$OUT/data'"
	for v in "$@"; do vars="$vars; $v"; done
	for ext in png svg; do
		gnuplot -e "$vars; out='$OUT/$stem.$ext'" "plots/$gp.gp" || {
			say "plot $stem.$ext failed (missing data?)"
			status=1
		}
		[ -s "$OUT/$stem.$ext" ] || status=1
	done
}
rate_settings="a100-40g:lwm-7b a100-40g:llama-3-8b-262k h200:lwm-7b
	h200:llama-3-8b-262k h200-40g:lwm-7b gh200:lwm-7b"
[ "$QUICK" = 1 ] && rate_settings="a100-40g:lwm-7b"
for s in $rate_settings; do
	prof=${s%%:*} model=${s#*:}
	plot fig10_12 "fig10-12_${prof}_${model}" "prof='$prof'" "model='$model'"
done
plot fig_validation fig_validation
# the live ablation ladder, where experiments/results/live-points-h200.csv
# holds every step (validation.py writes its data only then)
[ -f "$OUT/data/live_ladder.dat" ] && plot fig_live_ladder fig_live_ladder
if [ "$QUICK" != 1 ]; then
	plot fig04 fig04
	plot fig08 fig08
	for prof in a100-40g h200-40g; do
		plot fig01 "fig01_$prof" "prof='$prof'"
		plot fig14a "fig14a_$prof" "prof='$prof'"
	done
	for prof in a100-40g h200; do
		plot fig14b "fig14b_$prof" "prof='$prof'"
	done
	for s in a100-40g:lwm-7b a100-40g:llama-3-8b-262k h200:lwm-7b \
		h200:llama-3-8b-262k h200-40g:lwm-7b; do
		prof=${s%%:*} model=${s#*:}
		plot fig13 "fig13_${prof}_${model}" "prof='$prof'" "model='$model'"
		plot fig15 "fig15_${prof}_${model}" "prof='$prof'" "model='$model'"
		plot fig16a "fig16a_${prof}_${model}" "prof='$prof'" "model='$model'"
	done
	plot fig16b fig16b
	plot fig_hbm fig_hbm
	plot fig_link fig_link
fi
t3=$(date +%s)
printf 'total %d s, simulation %d s, %d runs, %d workers, FIG_COUNT=%s\n' \
	$((t3 - t0)) $((t2 - t1)) "$n" "$JOBS" "${FIG_COUNT:-default}" >"$OUT/wall.txt"
say "done in $((t3 - t0)) s: $OUT/numbers.md, $OUT/fig*.png, $OUT/fig*.svg"
grep -q '^| 0.2 |' "$OUT/numbers.md" || status=1
[ "$status" = 0 ] || say "FAILED: see the messages above"
exit "$status"
