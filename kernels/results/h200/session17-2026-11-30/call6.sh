#!/usr/bin/env bash
# call 6 (2026-11-30 session 17): Nsight Compute on the shipped decode
# attention at Llama-3-8B batch 1 (variant 4, clusters of 9, the relaxed
# last barrier) and on the ideal gather of the same 8 MiB, the first launch
# of each in `bench --only attn`, at the finest warp sampling interval:
# details, raw metrics and per-instruction SASS samples of both.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
NCU=/usr/local/cuda/bin/ncu
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
timeout 200 $NCU --clock-control none --kernel-name-base demangled --kernel-name "regex:cpa_kernel<\(int\)4, \(bool\)1, \(int\)4>|hbm_gather_kernel" --launch-count 2 --set full --import-source yes --warp-sampling-interval 0 \
  -o $W/c6/b1 $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c6/nb > $W/c6/ncu.log 2>&1; echo "ncu rc $? $(el)"
rm -rf $W/c6/nb
$NCU -i $W/c6/b1.ncu-rep --page details > $W/c6/ncu-details.txt 2>&1
$NCU -i $W/c6/b1.ncu-rep --page raw > $W/c6/ncu-raw.txt 2>&1
$NCU -i $W/c6/b1.ncu-rep --page source --csv --print-source sass > $W/c6/ncu-sass.csv 2>&1
xz -9 $W/c6/ncu-raw.txt $W/c6/ncu-sass.csv
grep -E "^  [a-z_]|Duration|Elapsed Cycles|DRAM Throughput" $W/c6/ncu-details.txt | head -20; ls -la $W/c6
pack
