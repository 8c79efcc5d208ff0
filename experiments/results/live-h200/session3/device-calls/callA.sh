#!/usr/bin/env bash
# call A (2026-11-29 session 3): GPU tests, targeted benchmarks, calibration, executor calibration runs
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d)
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/env.txt 2>&1
t0=$(date +%s)
TH_TIMEOUT=300 $B/test_kernels_gpu > $W/test_kernels_gpu.tap 2>&1; echo "kernels tests rc $? $(( $(date +%s)-t0 ))s"
grep -c "^not ok" $W/test_kernels_gpu.tap; grep "^not ok" $W/test_kernels_gpu.tap | head
TH_TIMEOUT=300 $B/test_model_gpu > $W/test_model_gpu.tap 2>&1; echo "model tests rc $? $(( $(date +%s)-t0 ))s"
grep "^not ok" $W/test_model_gpu.tap | head
$B/sparseserve bench --only select,attn --out $W/b-attn > $W/b-attn.log 2>&1; echo "bench attn rc $? $(( $(date +%s)-t0 ))s"
$B/sparseserve bench --only prefill_attn,rope --model llama-3.1-70b --tp 8 --out $W/b-70b > $W/b-70b.log 2>&1; echo "bench 70b rc $? $(( $(date +%s)-t0 ))s"
$B/sparseserve bench --only prefill_attn,rope --model llama-3.1-8b --out $W/b-8b > $W/b-8b.log 2>&1; echo "bench 8b rc $? $(( $(date +%s)-t0 ))s"
$B/sparseserve calibrate -v --out $OUT/h200.h5 > $W/calibrate.log 2>&1; echo "calibrate rc $? $(( $(date +%s)-t0 ))s"
$B/sparseserve calibrate --report $OUT/h200.h5 --csv > $W/calibrate.csv 2>&1
cat $W/calibrate.csv
OUT=$W/ec bash experiments/exec-calib.sh $B/sparseserve $OUT/h200.h5 2>&1 | tail -2; echo "exec-calib $(( $(date +%s)-t0 ))s"
cp $W/ec/exec-calib.tar.gz $OUT/
grep -h "selectsparse_decode\|^select\|decode_attn\|prefill_attn\|rope" $W/b-*/summary.csv | head -80
tar -czf $OUT/callA.tar.gz -C $W .
