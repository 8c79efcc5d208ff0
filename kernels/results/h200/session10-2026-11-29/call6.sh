#!/usr/bin/env bash
# call 6 (session 10): prefill attention variant 8 with a loading
# warpgroup (128 threads) instead of one warp: the wgmma prefill GPU
# tests, `bench --only prefill_attn` on the 70B TP-8 share and on
# Llama-3.1-8B, then Nsight Compute on variant 7 at the 70B share's 4k.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
NCU=/usr/local/cuda/bin/ncu
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu t_prefill_attn_small_wgmma t_chunked_attn_small_wgmma t_varlen_attn_wgmma t_attn_large_wgmma t_bad_inputs > $W/c6/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^ok\|^not ok" $W/c6/test_model_gpu.tap | grep -v "not selected"; grep -B5 "^not ok" $W/c6/test_model_gpu.tap | head -30
pack
for m in "llama-3.1-70b --tp 8:70b" "llama-3.1-8b:8b"; do
  a=${m%%:*}; n=${m##*:}
  timeout 200 $B/sparseserve bench --only prefill_attn --model $a --out $W/c6/b-$n > $W/c6/b-$n.log 2>&1; echo "bench $n rc $? $(el)"
  grep "^prefill_attn" $W/c6/b-$n/summary.csv | grep "variant=[78auto]" | cut -d, -f2-
  grep -i "fail\|error" $W/c6/b-$n.log | head
  pack
done
timeout 150 $NCU --clock-control none --kernel-name-base demangled --kernel-name "regex:prefill_attn_wgmma_pipe_kernel" --launch-count 1 --set full --import-source yes \
  -o $W/c6/v7-70b-4k $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --quick --warmup 0 --repeats 1 --no-check --out $W/c6/nb > $W/c6/ncu.log 2>&1; echo "ncu rc $? $(el)"
$NCU -i $W/c6/v7-70b-4k.ncu-rep --page details > $W/c6/ncu-details.txt 2>&1
$NCU -i $W/c6/v7-70b-4k.ncu-rep --page raw > $W/c6/ncu-raw.txt 2>&1
$NCU -i $W/c6/v7-70b-4k.ncu-rep --page source --csv --print-source sass > $W/c6/ncu-sass.csv 2>&1
rm -f $W/c6/v7-70b-4k.ncu-rep
grep -E "Duration|Elapsed Cycles|SM Active|Compute \(SM\) Throughput|Achieved Occupancy" $W/c6/ncu-details.txt | head; grep -i "smsp__average_warps_issue_stalled.*_per_issue_active.ratio" $W/c6/ncu-raw.txt | sed 's/ \+/ /g' | sort -t' ' -k4 -g -r | head -12
pack
