#!/usr/bin/env bash
# call 3 (2026-11-29 session 6): decode attention with its K/V loads
# software-pipelined (and the forced-split sweeps), the driver's batched
# copy at every fragment size of 1-64 KiB (bench --only batch_sweep), the
# elementwise kernels sized to at least 4x the L2 (the 70B TP-8 RoPE at
# 64k tokens): GPU tests, then the benchmarks.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c3/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c3/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|passed" $W/c3/test_kernels_gpu.tap | head
TH_TIMEOUT=100 timeout 120 $B/test_model_gpu t_rope t_rope_reg_bitexact t_bad_inputs > $W/c3/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^ok\|^not ok" $W/c3/test_model_gpu.tap | grep -v "not selected"
timeout 150 $B/sparseserve bench --only attn --out $W/c3/b-attn > $W/c3/b-attn.log 2>&1; echo "bench attn rc $? $(el)"
grep -i "fail" $W/c3/b-attn.log | head -3
pack
timeout 100 $B/sparseserve bench --only batch_sweep --out $W/c3/b-sweep > $W/c3/b-sweep.log 2>&1; echo "bench batch_sweep rc $? $(el)"
timeout 100 $B/sparseserve bench --only rope,rmsnorm,swiglu --model llama-3.1-70b --tp 8 --out $W/c3/b-70b > $W/c3/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
grep "^rope\|^rmsnorm\|^swiglu" $W/c3/b-70b/summary.csv | cut -d, -f1-4,8-
pack
timeout 90 ncu --clock-control none --kernel-name regex:decode_attn --csv --page raw \
  --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,launch__grid_size \
  $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c3/ncu-b > $W/c3/ncu-attn.csv 2>&1; echo "ncu rc $? $(el)"
rm -rf $W/c3/ncu-b
pack
