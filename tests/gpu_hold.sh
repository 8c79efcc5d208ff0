#!/usr/bin/env bash
# gpu_hold.sh - scripts/gpu-run.sh hold | unhold (TAP) on a scratch git
# repository holding a copy of the script: hold moves the committed result
# archives and the benchmarks' samples.h5 (and only those, paths with
# spaces included) into .device-hold/ and unhold moves them back with git
# seeing no change; hold refuses archives with uncommitted changes and a
# second hold; unhold keeps a file written in an archive's place
# meanwhile, reports one gone missing, and fails after a commit that
# deleted them while held; while held a commit is refused by the
# pre-commit hook hold installs, which unhold removes, and a repository's
# own hook is left alone; with nothing held unhold does nothing. Run apart
# from the caller's git: no GIT_* variables, no user or system
# configuration.
root=${SS_SOURCE_ROOT:?run through meson test}
if ! command -v git >/dev/null; then
	echo "1..0 # SKIP no git"
	exit 0
fi
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
unset $(git rev-parse --local-env-vars) GIT_CONFIG_PARAMETERS
export HOME=$w GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
echo "1..9"
r=$w/repo
k="kernels/results/s1/call 1/live-h5.tar.xz"
x=experiments/results/x/run.h5.xz
mkdir -p "$r/scripts" "$r/kernels/results/s1/call 1" "$r/experiments/results/x" "$r/docs"
cp "$root/scripts/gpu-run.sh" "$r/scripts/"
cd "$r" || exit 1
git init -q . && git config user.email t@t && git config user.name t &&
	git config commit.gpgsign false
printf '/.device-hold/\n' >.gitignore
echo a >"$k"
echo b >$x
echo c >kernels/results/s1/summary.csv
echo s >kernels/results/s1/samples.h5
echo d >docs/notes.tar.xz
git add -A && git commit -qm init
ok() { if [ "$2" = 0 ]; then echo "ok $1"; else echo "not ok $1"; fi; }
hold() { bash scripts/gpu-run.sh hold 2>"$w/log"; }
unhold() { bash scripts/gpu-run.sh unhold 2>"$w/log"; }

hold && [ -f ".device-hold/$k" ] && [ -f .device-hold/$x ] && [ ! -e "$k" ] &&
	[ -f .device-hold/kernels/results/s1/samples.h5 ] &&
	[ -f kernels/results/s1/summary.csv ] && [ -f docs/notes.tar.xz ] &&
	grep -q "3 result archives" "$w/log"
ok "1 - hold moves the two result archives and the samples, nothing else" $?

unhold && [ -z "$(git status --porcelain)" ] && [ ! -e .device-hold ] &&
	grep -q "3 result archives back" "$w/log"
ok "2 - unhold puts them back; git sees no change" $?

echo changed >$x
! hold && [ -f "$k" ] && grep -q "uncommitted changes" "$w/log"
ok "3 - hold refuses an archive with uncommitted changes, moves nothing" $?
git checkout -q -- $x

hold && ! hold && grep -q "not empty" "$w/log" && [ -f ".device-hold/$k" ]
ok "4 - a second hold is refused; the archives stay held" $?

echo "a new result" >"$k"
! unhold && grep -q "written while held" "$w/log" &&
	[ "$(cat "$k")" = "a new result" ] && [ -f ".device-hold/$k" ] && [ -f $x ] &&
	rm "$k" && unhold && [ -z "$(git status --porcelain)" ]
ok "5 - unhold keeps a file written in an archive's place, puts the rest back" $?

hold && rm -f .device-hold/$x && ! unhold && grep -q "run.h5.xz is neither held" "$w/log" &&
	[ -f "$k" ] && git checkout -q -- $x && unhold && [ -z "$(git status --porcelain)" ]
ok "6 - unhold reports an archive gone missing, and restores the rest" $?

hold && git add -A && ! git commit -qm "results while held" 2>"$w/log2" &&
	grep -q "run 'scripts/gpu-run.sh unhold' before committing" "$w/log2" &&
	git commit -q --no-verify -m "results while held" && ! unhold &&
	grep -q "a commit since the hold" "$w/log"
ok "7 - a commit while held is refused; unhold fails after one forced through" $?
git reset -q --hard HEAD~1

unhold && grep -q "0 result archives back" "$w/log" && [ -z "$(git status --porcelain)" ] &&
	[ ! -e .git/hooks/pre-commit ]
ok "8 - unhold with nothing held does nothing (and no hook is left)" $?

printf '#!/bin/sh\nexit 0\n' >.git/hooks/pre-commit && chmod +x .git/hooks/pre-commit &&
	hold && grep -q "its own pre-commit hook" "$w/log" &&
	grep -qx "exit 0" .git/hooks/pre-commit && unhold &&
	[ -f .git/hooks/pre-commit ] && [ -z "$(git status --porcelain)" ] &&
	hold && [ -f .git/hooks/pre-commit ] && rm .git/hooks/pre-commit && unhold &&
	hold && [ -f .git/hooks/pre-commit ] && unhold && [ ! -e .git/hooks/pre-commit ]
ok "9 - hold installs its hook only where there is none; unhold removes only its own" $?
