#!/usr/bin/env bash
# call 2 (2026-11-29 session 6): the merge reading 16-byte records, the
# selection's top-k with its keys in shared memory, forced split counts
# of the decode attention (bench "splits=N" rows): the kernel tests, the
# attention and selection benchmarks, Nsight Compute (full set) on the
# sparse decode kernel at batch 1 and 16 and durations of the selection.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c2/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c2/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|passed" $W/c2/test_kernels_gpu.tap | head
timeout 150 $B/sparseserve bench --only attn,select --out $W/c2/b-attn > $W/c2/b-attn.log 2>&1; echo "bench attn,select rc $? $(el)"
grep "^sparse_decode\|^dense_decode\|^select" $W/c2/b-attn/summary.csv | grep -v "variant=1" | cut -d, -f1-3,7-
grep -i "fail" $W/c2/b-attn.log | head -3
pack
timeout 120 ncu --clock-control none --kernel-name regex:decode_attn_mma --launch-count 3 --set full \
  $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c2/ncu-b > $W/c2/ncu-sparse-full.txt 2>&1; echo "ncu full rc $? $(el)"
timeout 90 ncu --clock-control none --kernel-name regex:select --csv --page raw \
  --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,launch__grid_size \
  $B/sparseserve bench --only select --warmup 0 --repeats 1 --no-check --out $W/c2/ncu-s > $W/c2/ncu-select.csv 2>&1; echo "ncu select rc $? $(el)"
rm -rf $W/c2/ncu-b $W/c2/ncu-s
pack
