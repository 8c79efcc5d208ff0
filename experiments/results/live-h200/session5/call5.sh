#!/usr/bin/env bash
# call 5 (2026-11-29 session 5): the executor's calibration runs again
# (experiments/exec-calib.sh, rates 2 and 6) with this session's executor
# (decode attention trimmed to the decoding slots since session 4), against
# the shipped kernel calibration; the fit (--fit-exec) is made here.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $OUT/env.txt 2>&1
OUT=$OUT timeout 560 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(( $(date +%s)-t0 ))s"
grep "iterations," $OUT/exec-calib.log | cut -c1-150
