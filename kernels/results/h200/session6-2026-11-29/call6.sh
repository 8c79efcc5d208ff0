#!/usr/bin/env bash
# call 6 (2026-11-29 session 6): why the automatic prefill at 4k on the
# 70B TP-8 share read 33% in call 5 against variant 6's 38% (Nsight Compute:
# which kernels the first launches run), the prefill benchmark again, then a
# full calibration of this build (not shipped by itself).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c6/env.txt 2>&1
timeout 90 ncu --clock-control none --kernel-name regex:prefill --launch-count 8 --csv --page raw \
  --metrics gpu__time_duration.sum,launch__grid_size,sm__throughput.avg.pct_of_peak_sustained_elapsed \
  $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --warmup 0 --repeats 1 --no-check --quick --out $W/c6/ncu-b > $W/c6/ncu-prefill.csv 2>&1; echo "ncu rc $? $(el)"
rm -rf $W/c6/ncu-b
timeout 120 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --out $W/c6/b-70b > $W/c6/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
grep "tokens=4096" $W/c6/b-70b/summary.csv | cut -d, -f1-4,8-
pack
timeout 200 $B/sparseserve calibrate -v --out $W/c6/h200.h5 > $W/c6/calibrate.log 2>&1; echo "calibrate rc $? $(el)"
$B/sparseserve calibrate --report $W/c6/h200.h5 --csv > $W/c6/report.csv 2>&1; cat $W/c6/report.csv
pack
