#!/usr/bin/env bash
# call 7 (2026-11-29 session 7): Nsight Compute (full set) on the shipped
# sparse decode attention at Llama-3-8B batch 1 and 4 (the first four
# decode_attn launches of `bench --only attn`: attention and merge kernel
# of each), for where the small batches' time goes; binaries of 390147a.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c7
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c7/env.txt 2>&1
timeout 200 /usr/local/cuda/bin/ncu --clock-control none --kernel-name regex:decode_attn --launch-count 4 --set full \
  $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c7/b > $W/c7/ncu-sparse-small.txt 2>&1; echo "ncu rc $? $(el)"
grep -E "decode_attn_(mma|merge)_kernel|Duration|DRAM Throughput|Achieved Occupancy|Registers Per|Grid Size|Warp Cycles Per Issued|One or More Eligible" $W/c7/ncu-sparse-small.txt | head -60
rm -rf $W/c7/b
tar -czf $OUT/call7.tar.gz -C $W c7
