#!/usr/bin/env bash
# call 4 (session 10): prefill attention variant 9 (variant 7's pipeline
# two key tiles deep: the softmax of tile j-1 under P V of tile j-2 and S
# of tile j; 196 registers, one CTA per SM) beside variants 4-8: the
# wgmma prefill GPU tests, then `bench --only prefill_attn` on the 70B
# TP-8 share and on Llama-3.1-8B.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c4/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu t_prefill_attn_small_wgmma t_chunked_attn_small_wgmma t_varlen_attn_wgmma t_attn_large_wgmma t_bad_inputs > $W/c4/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^ok\|^not ok" $W/c4/test_model_gpu.tap | grep -v "not selected"; grep -B5 "^not ok" $W/c4/test_model_gpu.tap | head -30
pack
timeout 200 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --out $W/c4/b-70b > $W/c4/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
grep "^prefill_attn" $W/c4/b-70b/summary.csv | grep -v "variant=[123]" | cut -d, -f2- 
grep -i "fail\|error" $W/c4/b-70b.log | head
pack
timeout 200 $B/sparseserve bench --only prefill_attn --model llama-3.1-8b --out $W/c4/b-8b > $W/c4/b-8b.log 2>&1; echo "bench 8b rc $? $(el)"
grep "^prefill_attn" $W/c4/b-8b/summary.csv | grep -v "variant=[123]" | cut -d, -f2-
grep -i "fail\|error" $W/c4/b-8b.log | head
pack
