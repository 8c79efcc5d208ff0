#!/usr/bin/env bash
# call 1 (2026-11-29 session 6): the GPU tests of sessions 5-6 (review
# fixes, t_rope_reg_bitexact, the decode attention's parallel merge, the
# FlashD2H run-major scatter), Nsight Compute on the decode attention
# kernels, the attention and save benchmarks, then a full calibration with
# this build (bulk copies at 201 repetitions; not shipped by itself).
# Run on the GPU machine from the repository root after
# `SS_SRC=<git archive of the commit> bash scripts/gpu-run.sh pack` here.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu > $W/c1/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^not ok\|passed" $W/c1/test_model_gpu.tap | head
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|passed" $W/c1/test_kernels_gpu.tap | head
pack
timeout 90 ncu --clock-control none --kernel-name regex:decode_attn --csv --page raw \
  --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,launch__grid_size,launch__registers_per_thread,launch__occupancy_limit_registers \
  $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c1/ncu-bench > $W/c1/ncu-attn.csv 2> $W/c1/ncu-attn.err; echo "ncu rc $? $(el)"
timeout 120 $B/sparseserve bench --only attn,d2h --out $W/c1/b-attn > $W/c1/b-attn.log 2>&1; echo "bench attn,d2h rc $? $(el)"
grep "^sparse_decode\|^dense_decode\|^flash_d2h" $W/c1/b-attn/summary.csv | grep -v "variant=1" | cut -d, -f1-3,7-
pack
timeout 150 $B/sparseserve calibrate -v --out $W/c1/h200.h5 > $W/c1/calibrate.log 2>&1; echo "calibrate rc $? $(el)"
$B/sparseserve calibrate --report $W/c1/h200.h5 --csv > $W/c1/report.csv 2>&1; cat $W/c1/report.csv
pack
left=$(( 540 - ($(date +%s)-t0) ))
if [ $left -gt 60 ]; then
  SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=$left timeout $left $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
  grep "^ok\|^not ok\|passed" $W/c1/test_live_gpu.tap
fi
pack
