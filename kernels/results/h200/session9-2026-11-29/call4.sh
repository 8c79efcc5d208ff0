#!/usr/bin/env bash
# call 4 (2026-11-29 session 9): decode attention variants 4 (4 warps x 3 cp.async
# stages) and 5 (8 warps x 1 stage), both planned so their clusters (one CTA
# per SM) all fit at once: the kernel GPU tests (variants 1-5 in every decode case),
# `bench --only attn` (the plan's split count per case in b.log), then
# Nsight Compute on the first variant-5 launch (Llama-3-8B batch 1).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c4/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c4/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c4/test_kernels_gpu.tap | head -20
pack
timeout 330 $B/sparseserve bench --only attn --out $W/c4/b > $W/c4/b.log 2>&1; echo "bench rc $? $(el)"
grep "sparse_decode_attn" $W/c4/b.log | grep "read_same" | grep -v "variant=1" | sed 's/ \+/ /g' | cut -d' ' -f2,3,9 | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | grep -v "splits=" | paste - - - - 
grep "splits$" $W/c4/b.log | grep "variant=4\|variant=5" | grep -v "splits=" | head -16
pack
timeout 150 /usr/local/cuda/bin/ncu --clock-control none --kernel-name-base demangled --kernel-name "regex:cpa_kernel<4, 1, 8>" --launch-count 1 --set full \
  $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c4/nb > $W/c4/ncu-cpa8-b1.txt 2>&1; echo "ncu rc $? $(el)"
grep -E "decode_attn_cpa|Duration|DRAM Throughput|Elapsed Cycles|SM Active|Warp Cycles Per Issued|Eligible|Achieved Occ" $W/c4/ncu-cpa8-b1.txt | head -20
rm -rf $W/c4/nb
pack
