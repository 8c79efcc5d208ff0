#!/usr/bin/env bash
# gpu_hold.sh - scripts/gpu-run.sh hold | unhold (TAP) on a scratch git
# repository holding a copy of the script: hold moves the committed result
# archives (and only those) into .device-hold/, unhold moves them back and
# git sees them unchanged; hold refuses an archive with uncommitted
# changes, unhold reports one gone missing; paths with spaces survive.
root=${SS_SOURCE_ROOT:?run through meson test}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
echo "1..5"
r=$w/repo
mkdir -p "$r/scripts" "$r/kernels/results/s1/call 1" "$r/experiments/results/x" "$r/docs"
cp "$root/scripts/gpu-run.sh" "$r/scripts/"
cd "$r" || exit 1
git init -q . && git config user.email t@t && git config user.name t
printf '/.device-hold/\n' >.gitignore
echo a >"kernels/results/s1/call 1/live-h5.tar.xz"
echo b >experiments/results/x/run.h5.xz
echo c >kernels/results/s1/summary.csv
echo d >docs/notes.tar.xz
git add -A && git commit -qm init
ok() { if [ "$2" = 0 ]; then echo "ok $1"; else echo "not ok $1"; fi; }

bash scripts/gpu-run.sh hold 2>"$w/log"
rc=$?
[ $rc = 0 ] && [ -f ".device-hold/kernels/results/s1/call 1/live-h5.tar.xz" ] &&
	[ -f .device-hold/experiments/results/x/run.h5.xz ] &&
	[ ! -e "kernels/results/s1/call 1/live-h5.tar.xz" ] &&
	[ -f kernels/results/s1/summary.csv ] && [ -f docs/notes.tar.xz ] &&
	grep -q "2 result archives" "$w/log"
ok "1 - hold moves the two result archives, nothing else" $?

bash scripts/gpu-run.sh unhold 2>"$w/log" &&
	[ -z "$(git status --porcelain)" ] && [ ! -e .device-hold ] &&
	grep -q "2 result archives back" "$w/log"
ok "2 - unhold puts them back; git sees no change" $?

echo changed >experiments/results/x/run.h5.xz
! bash scripts/gpu-run.sh hold 2>"$w/log" &&
	[ -f "kernels/results/s1/call 1/live-h5.tar.xz" ] &&
	grep -q "uncommitted changes" "$w/log"
ok "3 - hold refuses an archive with uncommitted changes, moves nothing" $?
git checkout -q -- experiments/results/x/run.h5.xz

bash scripts/gpu-run.sh hold 2>/dev/null && rm -f .device-hold/experiments/results/x/run.h5.xz
! bash scripts/gpu-run.sh unhold 2>"$w/log" &&
	grep -q "run.h5.xz" "$w/log" && [ -f "kernels/results/s1/call 1/live-h5.tar.xz" ]
ok "4 - unhold reports an archive gone missing, and restores the rest" $?
git checkout -q -- experiments/results/x/run.h5.xz

bash scripts/gpu-run.sh unhold 2>"$w/log" && grep -q "0 result archives back" "$w/log"
ok "5 - unhold with nothing held is a no-op" $?
