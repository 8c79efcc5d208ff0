#!/usr/bin/env bash
# call 12 (2026-11-29 session 6): the inputs of a Llama-3-8B-shaped h200-live
# (the validation's model; experiments/results/validation-h200.md, "Session
# 6"): a full calibration on Llama-3-8B-262k's shape with this session's
# kernels, then the executor's calibration runs (experiments/exec-calib.sh,
# Llama-3-8B-262k only, rates 2 and 6) against it. The fit and the
# validation's live runs are for the next session, with binaries built from
# the same commit.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c12
pack() { tar -czf $OUT/call12.tar.gz -C $W c12; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c12/env.txt 2>&1
timeout 120 $B/sparseserve calibrate -v --model llama-3-8b-262k --out $W/c12/h200-llama.h5 > $W/c12/calibrate.log 2>&1; echo "calibrate rc $? $(el)"
$B/sparseserve calibrate --report $W/c12/h200-llama.h5 --csv > $W/c12/report.csv 2>&1; cat $W/c12/report.csv
pack
MODELS=llama-3-8b-262k OUT=$W/c12 timeout 170 bash experiments/exec-calib.sh $B/sparseserve $W/c12/h200-llama.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c12/exec-calib.log | cut -c1-120
pack
