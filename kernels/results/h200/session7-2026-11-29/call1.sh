#!/usr/bin/env bash
# call 1 (2026-11-29 session 7): the live executor's GPU tests with the
# trimmed selection/lists/upload; full calibrations (denser transfer and
# lm_head grids, 15 repetitions) on Llama-3-8B-262k's shape and on the
# default (LWM-7B) shape; the executor's calibration runs (Llama only,
# rates 2 and 6) against the Llama-shaped one.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c1/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c1/test_live_gpu.tap
timeout 150 $B/sparseserve calibrate -v --model llama-3-8b-262k --out $W/c1/h200-llama.h5 > $W/c1/calibrate-llama.log 2>&1; echo "calibrate llama rc $? $(el)"
$B/sparseserve calibrate --report $W/c1/h200-llama.h5 --csv > $W/c1/report-llama.csv 2>&1; cat $W/c1/report-llama.csv
pack
timeout 150 $B/sparseserve calibrate -v --out $W/c1/h200.h5 > $W/c1/calibrate.log 2>&1; echo "calibrate lwm rc $? $(el)"
$B/sparseserve calibrate --report $W/c1/h200.h5 --csv > $W/c1/report.csv 2>&1; cat $W/c1/report.csv
pack
MODELS=llama-3-8b-262k OUT=$W/c1 timeout 200 bash experiments/exec-calib.sh $B/sparseserve $W/c1/h200-llama.h5; echo "exec-calib rc $? $(el)"
grep "wall" $W/c1/exec-calib.log | cut -c1-120
pack
