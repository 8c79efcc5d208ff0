#!/usr/bin/env bash
# call 5 (2026-11-29 session 9): variants 4 and 5 merge in a cluster only
# when the batch's clusters all run at once (else the merge kernel): the
# kernel GPU tests, `bench --only attn`, then Nsight Compute on the first
# variant-4 launch (Llama-3-8B batch 1, 9 splits) with the stall reasons
# (raw page) and the per-instruction SASS counters (source page).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
NCU=/usr/local/cuda/bin/ncu
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c5/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c5/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c5/test_kernels_gpu.tap | head -20
pack
timeout 330 $B/sparseserve bench --only attn --out $W/c5/b > $W/c5/b.log 2>&1; echo "bench rc $? $(el)"
grep "sparse_decode_attn" $W/c5/b.log | grep "read_same" | grep "variant=[45]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - -
pack
timeout 150 $NCU --clock-control none --kernel-name-base demangled --kernel-name "regex:cpa_kernel<\(int\)4, \(bool\)1, \(int\)4>" --launch-count 1 --set full --import-source yes \
  -o $W/c5/cpa4-b1 $B/sparseserve bench --only attn --warmup 0 --repeats 1 --no-check --out $W/c5/nb > $W/c5/ncu.log 2>&1; echo "ncu rc $? $(el)"
rm -rf $W/c5/nb
$NCU -i $W/c5/cpa4-b1.ncu-rep --page details > $W/c5/ncu-details.txt 2>&1
$NCU -i $W/c5/cpa4-b1.ncu-rep --page raw > $W/c5/ncu-raw.txt 2>&1
$NCU -i $W/c5/cpa4-b1.ncu-rep --page source --csv --print-source sass > $W/c5/ncu-sass.csv 2>&1
grep -E "Duration|Elapsed Cycles|SM Active" $W/c5/ncu-details.txt | head; grep -i "issue_stalled.*ratio" $W/c5/ncu-raw.txt | sort -k3 -n -r | head -12; wc -c $W/c5/*
pack
