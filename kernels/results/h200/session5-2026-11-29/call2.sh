#!/usr/bin/env bash
# call 2 (2026-11-29 session 5): Nsight Compute on the kernels that miss
# their targets: prefill attention on the 70B TP-8 share at 4k (variant 6
# split and variant 4), RoPE on that share, selection for Llama-3-8B.
# Clocks left alone (--clock-control none); ncu flushes the caches before
# each profiled kernel (--cache-control all, its default).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU"
S="--section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats --section MemoryWorkloadAnalysis"
timeout 200 $NCU --clock-control none -k regex:prefill_attn -c 12 $S $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --warmup 0 --repeats 1 --quick --out $W/c2/x1 > $W/c2/ncu-prefill.txt 2>&1; echo "ncu prefill rc $? $(( $(date +%s)-t0 ))s"
grep -E "^  [a-z_]+.*\(|Duration|Achieved Occupancy|Theoretical Occupancy|Compute \(SM\) Throughput|Memory Throughput|Registers Per|Block Limit|Waves Per SM|Grid Size|One or More Eligible|No Eligible|Issued Warp" $W/c2/ncu-prefill.txt | head -120
tar -czf $OUT/call2.tar.gz -C $W c2
timeout 120 $NCU --clock-control none -k regex:rope -c 6 $S --metrics dram__bytes_read.sum,dram__bytes_write.sum $B/sparseserve bench --only rope --model llama-3.1-70b --tp 8 --warmup 0 --repeats 1 --out $W/c2/x2 > $W/c2/ncu-rope.txt 2>&1; echo "ncu rope rc $? $(( $(date +%s)-t0 ))s"
grep -E "^  [a-z_]+.*\(|Duration|DRAM Throughput|dram__bytes|Achieved Occupancy|Memory Throughput" $W/c2/ncu-rope.txt | head -60
tar -czf $OUT/call2.tar.gz -C $W c2
timeout 120 $NCU --clock-control none -k regex:select -c 4 $S --metrics dram__bytes_read.sum,dram__bytes_write.sum $B/sparseserve bench --only select --warmup 0 --repeats 1 --out $W/c2/x3 > $W/c2/ncu-select.txt 2>&1; echo "ncu select rc $? $(( $(date +%s)-t0 ))s"
grep -E "^  [a-z_]+.*\(|Duration|DRAM Throughput|dram__bytes|Achieved Occupancy|Memory Throughput" $W/c2/ncu-select.txt | head -60
tar -czf $OUT/call2.tar.gz -C $W c2
