#!/usr/bin/env bash
# run.sh - the worked example of docs/sweeps.md: run the rate x HBM-budget
# sweep behind SparseServe's Figures 10-12 and draw it.
#
#   experiments/sweep-rate-hbm/run.sh              # all cores of this machine
#   MPIRUN="mpirun -n 16" experiments/sweep-rate-hbm/run.sh   # over MPI
#   SPEC=experiments/sweep-rate-hbm/rate-hbm-quick.json experiments/sweep-rate-hbm/run.sh
#
# Environment: SPARSESERVE (default build/sparseserve), MPIRUN (a launcher
# prefix, default none), SPEC (default rate-hbm.json here), OUTDIR
# (default experiments/sweep-rate-hbm/out). Extra arguments go to
# `sparseserve sweep` (e.g. -j 8). An interrupted run continues where it
# stopped: the script passes --resume when results exist.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SPARSESERVE:-$root/build/sparseserve}
spec=${SPEC:-$here/rate-hbm.json}
outdir=${OUTDIR:-$here/out}
name=$(basename "$spec" .json)
mkdir -p "$outdir"
resume=()
if [ -e "$outdir/$name.h5" ] || [ -e "$outdir/$name.h5.journal" ]; then
	resume=(--resume)
fi
cd "$root"
# shellcheck disable=SC2086  # MPIRUN is a command prefix
${MPIRUN:-} "$bin" sweep "$spec" -o "$outdir/$name.h5" --csv "$outdir/$name.csv" \
	"${resume[@]}" "$@" || echo "run.sh: some runs failed or were lost (see above)" >&2
case $name in rate-hbm*) plot=1 ;; *) plot=0 ;; esac
if [ $plot = 1 ] && [ -s "$outdir/$name.csv" ] && command -v gnuplot >/dev/null; then
	# one figure per HBM budget found in the results
	col=$(head -1 "$outdir/$name.csv" | tr ',' '\n' | grep -n '^mem.hbm_budget_gb$' | cut -d: -f1)
	for b in $(tail -n +2 "$outdir/$name.csv" | cut -d, -f"$col" | sort -un); do
		gnuplot -e "csv='$outdir/$name.csv'; budget=$b; out='$outdir/$name-budget$b.png'" \
			"$here/plot.gp"
		echo "run.sh: wrote $outdir/$name-budget$b.png"
	done
fi
