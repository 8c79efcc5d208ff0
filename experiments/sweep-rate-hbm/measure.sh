#!/bin/bash
# measure.sh - the speed-up measurements of docs/sweeps.md: the 200-run
# sweep bench-200.json with 1 and 2 local workers and 2 and 4 MPI ranks on
# two cores ("2c"), with 4-16 workers and 9/17 ranks ("scale"), and the
# coordinator's cost per run on 2,000 tiny runs ("tiny"). Each command is
# timed with /usr/bin/time (wall, user, sys); the CSVs of all commands are
# hashed without their wall_s and host columns (they must agree).
#
#   SPARSESERVE=build/sparseserve WHAT="2c scale tiny" REPS=2 \
#   OUT=results WORK=/tmp/m experiments/sweep-rate-hbm/measure.sh
#
# OUT receives summary.txt and the -j 1 CSV (per-run costs for project.py).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
bin=${SPARSESERVE:-$PWD/build/sparseserve}
spec=$here/bench-200.json
tiny=$here/tiny.json
res=${OUT:-/tmp/res}; o=${WORK:-/tmp/m}; rm -rf $o; mkdir -p $o $res
$bin --version || exit 1
nproc; lscpu | grep -E "Model name|^CPU\(s\)"; uptime
M="mpirun --allow-run-as-root --oversubscribe --bind-to none"
run() { # name, cmd...
	local name=$1; shift
	/usr/bin/time -o $o/$name.time -f "%e %U %S" "$@" > $o/$name.log 2>&1
	local rc=$?
	echo "$name rc=$rc wall_user_sys= $(cat $o/$name.time | tail -1) load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a $o/summary.txt
}
S() { echo sweep $spec -o $o/$1.h5 --csv $o/$1.csv; }
for rep in $(seq ${REPS:-1}); do
	echo "== rep $rep" | tee -a $o/summary.txt
	for what in ${WHAT:-2c scale tiny}; do
		case $what in
		2c)
			run j1-2c taskset -c 0,1 $bin $(S j1-2c) -j 1
			run j2-2c taskset -c 0,1 $bin $(S j2-2c) -j 2
			run mpi2-2c taskset -c 0,1 $M -n 2 $bin $(S mpi2-2c)
			run mpi4-2c taskset -c 0,1 $M -n 4 $bin $(S mpi4-2c)
			;;
		scale)
			run j4 $bin $(S j4) -j 4
			run j8 $bin $(S j8) -j 8
			run j16 $bin $(S j16) -j 16
			run mpi9 $M -n 9 $bin $(S mpi9)
			run mpi17 $M -n 17 $bin $(S mpi17)
			;;
		tiny)
			run tiny-j1 $bin sweep $tiny -o $o/tiny1.h5 -j 1
			run tiny-j16 $bin sweep $tiny -o $o/tiny16.h5 -j 16
			run tiny-mpi17 $M -n 17 $bin sweep $tiny -o $o/tinympi.h5
			;;
		esac
	done
	for f in $o/*.csv; do
		echo "$(awk -F, '{NF-=2; print}' OFS=, $f | md5sum | cut -c1-12) $(basename $f)"
	done | tee -a $o/summary.txt
	rm -f $o/*.h5
done
cp $o/summary.txt $res/
cp $o/j1-2c.csv $res/ 2>/dev/null
true
