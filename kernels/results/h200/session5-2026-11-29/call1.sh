#!/usr/bin/env bash
# call 1 (2026-11-29 session 5): prefill variant 6 (split keys), selection
# top-k (keys in registers, per-warp histogram atomics, programmatic
# dependent launch), RoPE KERN_ROPE_REG: GPU tests, then the benchmarks of
# those kernels; the live executor's GPU tests with the time left.
# Run on the GPU machine from the repository root after
# `SS_SRC=<git archive of the commit> bash scripts/gpu-run.sh pack` here.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=300 timeout 320 $B/test_model_gpu > $W/c1/test_model_gpu.tap 2>&1; echo "model tests rc $? $(( $(date +%s)-t0 ))s"
grep "^not ok\|passed" $W/c1/test_model_gpu.tap | head
TH_TIMEOUT=200 timeout 220 $B/test_kernels_gpu t_select_topk t_select_topk_long t_sparse_decode_attn t_dense_decode_attn > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(( $(date +%s)-t0 ))s"
grep "^ok\|^not ok\|passed" $W/c1/test_kernels_gpu.tap | head
pack
timeout 120 $B/sparseserve bench --only select --out $W/c1/b-select > $W/c1/b-select.log 2>&1; echo "bench select rc $? $(( $(date +%s)-t0 ))s"
grep "^select" $W/c1/b-select/summary.csv
timeout 200 $B/sparseserve bench --only prefill_attn,rope --model llama-3.1-70b --tp 8 --out $W/c1/b-70b > $W/c1/b-70b.log 2>&1; echo "bench 70b rc $? $(( $(date +%s)-t0 ))s"
grep "^prefill_attn\|^rope" $W/c1/b-70b/summary.csv | grep -v "variant=[123]"
pack
timeout 200 $B/sparseserve bench --only prefill_attn,rope --model llama-3.1-8b --out $W/c1/b-8b > $W/c1/b-8b.log 2>&1; echo "bench 8b rc $? $(( $(date +%s)-t0 ))s"
grep "^prefill_attn\|^rope" $W/c1/b-8b/summary.csv | grep -v "variant=[123]"
grep -i "fail\|error" $W/c1/b-*.log | head
pack
left=$(( 540 - ($(date +%s)-t0) ))
if [ $left -gt 60 ]; then
  SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=$left timeout $left $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(( $(date +%s)-t0 ))s"
  grep "^ok\|^not ok\|passed" $W/c1/test_live_gpu.tap
fi
pack
