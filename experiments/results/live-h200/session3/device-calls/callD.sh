#!/usr/bin/env bash
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
$B/sparseserve calibrate -v --out $OUT/h200.h5 > $OUT/calibrate.log 2>&1; echo "calibrate rc $? $(( $(date +%s)-t0 ))s"
$B/sparseserve calibrate --report $OUT/h200.h5 --csv
TH_TIMEOUT=100 $B/test_kernels_gpu > $OUT/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(( $(date +%s)-t0 ))s"; grep "^not ok" $OUT/test_kernels_gpu.tap
W=$(mktemp -d); OUT=$W bash experiments/exec-calib.sh $B/sparseserve $OUT/h200.h5 2>&1 | tail -1; echo "exec-calib $(( $(date +%s)-t0 ))s"
cp $W/exec-calib.tar.gz $W/exec-calib.log $OUT/
