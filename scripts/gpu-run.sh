#!/usr/bin/env bash
# gpu-run.sh - THE script for the GPU machine: checks the device, runs the
# 'gpu' test suite (tests/test_kernels_gpu) and every kernel benchmark
# (`sparseserve bench`), and leaves logs and results under $OUT:
#   env.txt             nvidia-smi, driver, clocks, host
#   test_kernels_gpu.tap the GPU tests' TAP
#   test_model_gpu.tap   the dense model path's GPU tests' TAP
#   bench.log           the benchmark's stdout/stderr
#   samples.h5 summary.csv table.md   (from `sparseserve bench --out $OUT`)
#
#   scripts/gpu-run.sh pack            (here) build build-gpu (sm_90a) and
#                                      collect the binaries and the shared
#                                      libraries the GPU machine lacks
#                                      (HDF5, GSL, cJSON...) into .gpu-carry/
#                                      and .gpu-carry.tar.xz (the copy the
#                                      device tool carries: 64 MiB limit)
#                                      SS_BINS="sparseserve test_live_gpu":
#                                      only those binaries travel
#   scripts/gpu-run.sh hold | unhold   (here) move the committed result
#                                      archives (*.tar.xz, *.h5.xz under
#                                      */results/, and the benchmarks'
#                                      samples.h5 there) into .device-hold/
#                                      (ignored, so not carried) before a
#                                      device call, and back after it: the
#                                      device needs none of them, and they
#                                      are half of the tree the tool
#                                      carries. hold refuses archives with
#                                      uncommitted changes; unhold checks
#                                      that git sees them unchanged
#   OUT=dir scripts/gpu-run.sh [bench options...]   (on the GPU machine)
#   OUT=dir scripts/gpu-run.sh calibrate [--quick]  (only the calibration:
#                                      h200.h5, then the executor's
#                                      calibration runs and h200-live.h5)
#   OUT=dir scripts/gpu-run.sh live     the live executor's GPU tests and
#                                      the sim-vs-live validation runs
#                                      (experiments/validate-h200.sh live;
#                                      SS_LIVE_POINTS=SECONDS: then the
#                                      live points for at most that long,
#                                      experiments/live-points.sh)
# The GPU machine returns at most 8 files from $OUT: each mode writes 8 or
# fewer (calibrate: exactly 8), so callers should add none beside them.
#
# The GPU machine has nvcc and the driver but not Debian's -dev packages,
# so binaries are built here and carried (.gpu-carry/, listed in
# .git/info/exclude); where no .gpu-carry/ travelled, the script builds
# from source with meson instead. SS_SRC (pack only) builds from another
# source tree, e.g. a clean export of HEAD; SS_REV=<rev> (pack only)
# exports that revision itself and stamps the binaries with its
# `git describe` (an export has no .git: SS_SRC builds say the project
# version instead); it builds in build-gpu-rev.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# hold | unhold. The committed result archives (pathspecs that match at
# any depth whatever GIT_*_PATHSPECS say); .device-hold/.manifest lists
# the paths held (NUL-separated) after the commit they were held at, so
# that unhold puts back exactly those, refuses to overwrite a file written
# in their place meanwhile, and fails if a commit while held deleted or
# changed them. The benchmarks' raw samples (samples.h5, 14 of the tree's
# 83 MB in session 23) are held with them: nothing on the device reads
# them. While held, a pre-commit hook that hold installs (where the
# repository has none) refuses commits, since `git commit -a` would stage
# the held files as deleted; unhold removes it.
archives=(':(glob)**/results/**/*.tar.xz' ':(glob)**/results/**/*.h5.xz'
	':(glob)**/results/**/samples.h5')
hook=$(git rev-parse --git-path hooks/pre-commit 2>/dev/null) || hook=
hook_mark='installed by scripts/gpu-run.sh hold'
# removes the pre-commit hook if it is the one hold installed
unhook() {
	if [ -n "$hook" ] && [ -f "$hook" ] && grep -qF "$hook_mark" "$hook"; then
		rm -f "$hook"
	fi
}
hold_dir=.device-hold
manifest=$hold_dir/.manifest
if [ "${1:-}" = hold ]; then
	if [ -e "$hold_dir" ] && [ -n "$(ls -A "$hold_dir")" ]; then
		echo "gpu-run.sh hold: $hold_dir/ is not empty (held already, or an interrupted hold): run 'scripts/gpu-run.sh unhold' first" >&2
		exit 1
	fi
	if ! git diff --quiet HEAD -- "${archives[@]}"; then
		echo "gpu-run.sh hold: result archives have uncommitted changes; commit them first" >&2
		exit 1
	fi
	mkdir -p "$hold_dir" && git rev-parse HEAD >"$manifest" || exit 1
	n=0
	while IFS= read -r -d '' f; do
		[ -f "$f" ] || continue
		if ! { printf '%s\0' "$f" >>"$manifest" &&
			mkdir -p "$hold_dir/$(dirname "$f")" &&
			mv -T "$f" "$hold_dir/$f"; }; then
			echo "gpu-run.sh hold: stopped at $f; run 'scripts/gpu-run.sh unhold'" >&2
			exit 1
		fi
		n=$((n + 1))
	done < <(git ls-files -z -- "${archives[@]}")
	if [ -n "$hook" ] && [ ! -e "$hook" ] && mkdir -p "$(dirname "$hook")"; then
		printf '%s\n' '#!/bin/sh' "# $hook_mark; removed by unhold" \
			"if [ -f $manifest ]; then" \
			"	echo \"pre-commit: result archives are held in $hold_dir/ (scripts/gpu-run.sh hold): run 'scripts/gpu-run.sh unhold' before committing (git commit --no-verify overrides)\" >&2" \
			'	exit 1' 'fi' >"$hook" && chmod +x "$hook"
	elif [ -n "$hook" ] && ! grep -qsF "$hook_mark" "$hook"; then
		echo "gpu-run.sh hold: the repository has its own pre-commit hook, so commits are not refused while held" >&2
	fi
	echo "gpu-run.sh hold: $n result archives in $hold_dir/; run 'scripts/gpu-run.sh unhold' after the device call, and commit nothing before it" >&2
	exit 0
fi
if [ "${1:-}" = unhold ]; then
	if [ ! -f "$manifest" ]; then
		if [ -e "$hold_dir" ] && [ -n "$(find "$hold_dir" ! -type d -print -quit)" ]; then
			echo "gpu-run.sh unhold: $hold_dir/ has files but no manifest; move them back by hand" >&2
			exit 1
		fi
		rm -rf "$hold_dir"
		unhook
		echo "gpu-run.sh unhold: 0 result archives back (nothing held)" >&2
		exit 0
	fi
	rev=$(head -n 1 "$manifest")
	n=0
	bad=0
	while IFS= read -r -d '' f; do
		if [ ! -e "$hold_dir/$f" ] && [ ! -L "$hold_dir/$f" ]; then
			if [ -e "$f" ]; then
				n=$((n + 1)) # put back by an earlier unhold
			else
				echo "gpu-run.sh unhold: $f is neither held nor in place" >&2
				bad=1
			fi
			continue
		fi
		if [ -e "$f" ] || [ -L "$f" ]; then
			if cmp -s "$f" "$hold_dir/$f"; then
				rm -f "$hold_dir/$f"
			else
				echo "gpu-run.sh unhold: $f was written while held; kept, the held copy stays in $hold_dir/" >&2
				bad=1
				continue
			fi
		elif ! { mkdir -p "$(dirname "$f")" && mv -T "$hold_dir/$f" "$f"; }; then
			echo "gpu-run.sh unhold: could not put back $f" >&2
			bad=1
			continue
		fi
		n=$((n + 1))
	done < <(tail -n +2 "$manifest" | tr -d '\n')
	if [ $bad = 0 ]; then
		rm -f "$manifest"
		find "$hold_dir" -depth -type d -empty -delete
		unhook
	fi
	if ! git diff --quiet "$rev" HEAD -- "${archives[@]}"; then
		echo "gpu-run.sh unhold: a commit since the hold ($rev) changed or deleted result archives:" >&2
		git diff --stat "$rev" HEAD -- "${archives[@]}" >&2
		bad=1
	fi
	if ! git diff --quiet HEAD -- "${archives[@]}"; then
		echo "gpu-run.sh unhold: $n archives back, but git sees result archives changed or missing:" >&2
		git status --short -- "${archives[@]}" >&2
		bad=1
	fi
	[ $bad = 0 ] || exit 1
	echo "gpu-run.sh unhold: $n result archives back in place" >&2
	exit 0
fi
if [ "${1:-}" = pack ]; then
	src=${SS_SRC:-$root}
	bdir=build-gpu
	if [ -n "${SS_REV:-}" ]; then
		[ -z "${SS_SRC:-}" ] || {
			echo "gpu-run.sh pack: set SS_SRC or SS_REV, not both" >&2
			exit 2
		}
		src=$(mktemp -d) || exit 1
		trap 'rm -rf "$src"' EXIT
		git archive "$SS_REV" | tar -x -C "$src" || exit 1
		SS_GIT_DESCRIBE=$(git describe --always --tags "$SS_REV") || exit 1
		export SS_GIT_DESCRIBE
		# its own build directory: the export is removed afterwards,
		# and build-gpu stays usable for this tree
		bdir=build-gpu-rev
	fi
	if [ -f "$bdir/build.ninja" ]; then
		(cd "$src" && meson setup --reconfigure "$root/$bdir" \
			-Dgpu_arch=90a -Dwerror=true) >/dev/null || exit 1
	else
		(cd "$src" && meson setup "$root/$bdir" -Dgpu_arch=90a \
			-Dwerror=true) >/dev/null || exit 1
	fi
	meson compile -C "$bdir" >/dev/null || exit 1
	rm -rf .gpu-carry && mkdir -p .gpu-carry/bin .gpu-carry/lib
	# SS_BINS: which of the binaries travel (all four unless named: the
	# working tree and the carry share one 64 MiB limit)
	for b in ${SS_BINS:-sparseserve test_kernels_gpu test_model_gpu test_live_gpu}; do
		case $b in
		sparseserve) cp "$bdir/sparseserve" .gpu-carry/bin/ ;;
		test_kernels_gpu | test_model_gpu | test_live_gpu)
			cp "$bdir/tests/$b" .gpu-carry/bin/ ;;
		*) echo "gpu-run.sh: SS_BINS: no binary '$b'" >&2; exit 2 ;;
		esac
	done
	strip --strip-debug .gpu-carry/bin/*
	ldd .gpu-carry/bin/* | awk '/=>/ { print $3 }' | sort -u |
		grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt)\.so' |
		while read -r lib; do cp -L "$lib" .gpu-carry/lib/; done
	du -sh .gpu-carry
	# the device tool carries at most 64 MiB with the working tree: the
	# compressed copy (~10 MB) travels instead; unpack it there with
	# `tar -xJf .gpu-carry.tar.xz` before running anything
	XZ_OPT=-9 tar -cJf .gpu-carry.tar.xz .gpu-carry
	# what the device tool will carry: the tracked tree and this copy,
	# 64 MiB at most together. The tool counts more than these apparent
	# sizes (session 14: refused at 63.0 MiB by this count, taken at
	# 57.2), so the warning starts at 60
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		tree=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null |
			awk '{ s += $1 } END { print s + 0 }')
		carry=$(stat -c %s .gpu-carry.tar.xz)
		awk -v t="$tree" -v c="$carry" 'BEGIN {
			m = (t + c) / 1048576
			printf "device payload: %.1f MiB of 64 (tree %.1f, carry %.1f)%s\n",
				m, t / 1048576, c / 1048576,
				(m > 60 ? ": too close: scripts/gpu-run.sh hold, or pack fewer SS_BINS" : "")
		}' >&2
	fi
	exit 0
fi

OUT=${OUT:-$root/out/gpu}
mkdir -p "$OUT"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -srm), $(nproc) cores"
	free -g | head -2
	nvidia-smi
	nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.width.current,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,power.limit --format=csv
	nvcc --version 2>/dev/null | tail -2
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

bin=""
if [ -x .gpu-carry/bin/sparseserve ]; then
	bin=.gpu-carry/bin
	export LD_LIBRARY_PATH="$root/.gpu-carry/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
	if ! .gpu-carry/bin/sparseserve --version; then
		echo "gpu-run: carried binaries do not run here; building" >&2
		bin=""
	fi
fi
if [ -z "$bin" ]; then
	{ meson setup build-gpu -Dgpu_arch=90a && meson compile -C build-gpu; } \
		>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
	mkdir -p build-gpu/bin
	ln -sf ../sparseserve ../tests/test_kernels_gpu \
		../tests/test_model_gpu ../tests/test_live_gpu build-gpu/bin/ \
		2>/dev/null
	bin=build-gpu/bin
fi

# ---- calibration (calibrate/, docs/calibration.md) -------------------------
#   OUT=dir scripts/gpu-run.sh calibrate [--quick]
# runs only `sparseserve calibrate` (no tests, no benchmarks: one device call
# may run 10 minutes at most) and leaves h200.h5, calibrate.log and
# calibrate.csv in $OUT; then the live executor's calibration runs
# (experiments/exec-calib.sh: exec-calib.tar.xz, exec-calib.log) and their fit
# (`calibrate --fit-exec`: h200-live.h5, fit-exec.txt). SS_NO_EXEC_CALIB=1
# skips the executor's part.
if [ "${1:-}" = calibrate ]; then
	shift
	echo "== calibrate"
	"$bin/sparseserve" calibrate -v --out "$OUT/h200.h5" "$@" 2>&1 |
		tee "$OUT/calibrate.log"
	rc=${PIPESTATUS[0]}
	# exit 1 with a file: some benchmarks failed, the rest is in it
	if [ -f "$OUT/h200.h5" ]; then
		"$bin/sparseserve" calibrate --report "$OUT/h200.h5" --csv |
			tee "$OUT/calibrate.csv"
		# the executor's own overheads: live runs on calibration traces,
		# fitted here by `calibrate --fit-exec` (experiments/exec-calib.sh)
		if [ -z "${SS_NO_EXEC_CALIB:-}" ]; then
			echo "== executor calibration runs"
			OUT="$OUT" bash experiments/exec-calib.sh \
				"$bin/sparseserve" "$OUT/h200.h5" || rc=1
			# and the fit: h200-live.h5 = h200.h5 + the executor's costs
			if [ -f "$OUT/exec-calib.tar.xz" ]; then
				x=$(mktemp -d)
				tar -xJf "$OUT/exec-calib.tar.xz" -C "$x"
				runs=$(ls "$x"/exec/*.h5 | paste -sd, -)
				"$bin/sparseserve" calibrate --fit-exec "$runs" \
					--from "$OUT/h200.h5" --out "$OUT/h200-live.h5" |
					sed "s|$x/exec/||g" | tee "$OUT/fit-exec.txt"
				[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
				rm -rf "$x"
			fi
		fi
	fi
	exit "$rc"
fi

# ---- live executor (live/, docs/live.md) -----------------------------------
#   OUT=dir scripts/gpu-run.sh live
# its GPU tests, then every (rate, policy) of the validation run live;
# leaves test_live_gpu.tap, live.csv and live.log in $OUT (the simulated
# side and the table are made here: experiments/validate-h200.sh table).
if [ "${1:-}" = live ]; then
	status=0
	echo "== live tests"
	SPARSESERVE="$root/$bin/sparseserve" SS_SOURCE_ROOT="$root" \
		TH_TIMEOUT=600 "$bin/test_live_gpu" >"$OUT/test_live_gpu.tap" 2>&1 ||
		status=1
	cat "$OUT/test_live_gpu.tap"
	echo "== validation runs"
	OUT="$OUT" bash experiments/validate-h200.sh live "$bin/sparseserve" ||
		status=1
	tail -3 "$OUT/live.log"
	# SS_LIVE_POINTS=SECONDS: then the live points of Figs 10-12
	# (experiments/live-points.sh) for at most that long, packed into
	# points.tar.gz after every run (the machine returns at most 8 files,
	# and what is there when a call is stopped at its limit)
	if [ -n "${SS_LIVE_POINTS:-}" ]; then
		echo "== live points"
		pts=$(mktemp -d)
		OUT="$pts/points" BUDGET="$SS_LIVE_POINTS" \
			PACK="$OUT/points.tar.gz" bash experiments/live-points.sh \
			live "$bin/sparseserve" || status=1
		rm -rf "$pts"
	fi
	exit $status
fi

status=0
echo "== gpu tests"
TH_TIMEOUT=600 "$bin/test_kernels_gpu" >"$OUT/test_kernels_gpu.tap" 2>&1 || status=1
cat "$OUT/test_kernels_gpu.tap"
TH_TIMEOUT=600 "$bin/test_model_gpu" >"$OUT/test_model_gpu.tap" 2>&1 || status=1
cat "$OUT/test_model_gpu.tap"
SPARSESERVE="$root/$bin/sparseserve" SS_SOURCE_ROOT="$root" TH_TIMEOUT=600 \
	"$bin/test_live_gpu" >"$OUT/test_live_gpu.tap" 2>&1 || status=1
cat "$OUT/test_live_gpu.tap"
echo "== benchmarks"
"$bin/sparseserve" bench --out "$OUT" "$@" 2>&1 | tee "$OUT/bench.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "== summary"
cat "$OUT/summary.csv" 2>/dev/null
exit $status
