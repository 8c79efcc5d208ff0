#!/usr/bin/env bash
# call 5 (session 10): prefill attention variant 8 is now variant 7 with a
# ninth warp loading the K/V tiles and per-stage mbarriers instead of CTA
# barriers (call 3's half-tile variant 8 and call 4's two-deep variant 9
# were removed): the wgmma prefill GPU tests, then `bench --only
# prefill_attn` on the 70B TP-8 share and on Llama-3.1-8B.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c5/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu t_prefill_attn_small_wgmma t_chunked_attn_small_wgmma t_varlen_attn_wgmma t_attn_large_wgmma t_bad_inputs > $W/c5/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^ok\|^not ok" $W/c5/test_model_gpu.tap | grep -v "not selected"; grep -B5 "^not ok" $W/c5/test_model_gpu.tap | head -30
pack
timeout 200 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --out $W/c5/b-70b > $W/c5/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
grep "^prefill_attn" $W/c5/b-70b/summary.csv | grep -v "variant=[123]" | cut -d, -f2- 
grep -i "fail\|error" $W/c5/b-70b.log | head
pack
timeout 200 $B/sparseserve bench --only prefill_attn --model llama-3.1-8b --out $W/c5/b-8b > $W/c5/b-8b.log 2>&1; echo "bench 8b rc $? $(el)"
grep "^prefill_attn" $W/c5/b-8b/summary.csv | grep -v "variant=[123]" | cut -d, -f2-
grep -i "fail\|error" $W/c5/b-8b.log | head
pack
