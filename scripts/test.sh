#!/usr/bin/env bash
# test.sh - the README's test command: installs what is missing, builds
# with warnings as errors, runs the whole suite, then builds again under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suite again.
# GPU tests skip visibly where no GPU is present. Ends with the line
#   N passed, N failed[, N skipped]
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc)
status=0
logs=()
run_pass() { # name, build dir, meson options...
	local name=$1 dir=$2
	shift 2
	echo "== $name build ($dir)" >&2
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi || { cat "$dir.setup.log" >&2; echo "$name: meson setup failed" >&2; return 1; }
	meson compile -C "$dir" -j "$jobs" >&2 || { echo "$name: build failed" >&2; return 1; }
	echo "== $name tests" >&2
	meson test -C "$dir" --num-processes "$jobs" --print-errorlogs \
		${SS_TEST_SUITE:+--suite "$SS_TEST_SUITE"} >&2 || true
	logs+=("$dir/meson-logs/testlog.json")
}
run_pass "release" build -Dwerror=true || { status=1; logs+=("BUILD-FAILED:release"); }
if [ -z "${SS_NO_SANITIZE:-}" ]; then
	run_pass "sanitized" build-san -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dcuda=disabled -Dbuildtype=debug ||
		{ status=1; logs+=("BUILD-FAILED:sanitized"); }
fi
python3 tests/run.py "${logs[@]}" || status=1
exit $status
