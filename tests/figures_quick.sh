#!/usr/bin/env bash
# figures_quick.sh - the figure pipeline end to end on one tiny figure
# (scripts/figures.sh with FIGURES_QUICK=1: sweep, extraction, gnuplot PNG
# and SVG) and the simulated-vs-live figure from the committed validation
# CSV, as one TAP case, on the build meson test runs (SS_BUILD_ROOT).
out=${1:?usage: figures_quick.sh OUTDIR}
echo "1..1"
rm -rf "$out"
if FIGURES_QUICK=1 BUILD="$SS_BUILD_ROOT" \
	bash "$SS_SOURCE_ROOT/scripts/figures.sh" "$out" \
	>"$out.log" 2>&1 &&
	[ -s "$out/fig10-12_a100-40g_lwm-7b.png" ] &&
	[ -s "$out/fig10-12_a100-40g_lwm-7b.svg" ] &&
	[ -s "$out/fig_validation.png" ] &&
	[ -s "$out/fig_validation.svg" ] &&
	grep -q '^| 3 | sparseserve |' "$out/numbers.md" &&
	[ -s "$out/numbers.md" ]; then
	echo "ok 1 - figures_quick: PNG, SVG and numbers.md written (Figs 10-12, sim vs live)"
else
	sed 's/^/# /' "$out.log" | tail -20
	echo "not ok 1 - figures_quick (log: $out.log)"
fi
