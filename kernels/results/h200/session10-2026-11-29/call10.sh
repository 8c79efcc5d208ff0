#!/usr/bin/env bash
# call 10 (session 10): after the review (a helper): a CTA with rows but no
# keys stores zeros in variants 7 and 8 instead of waiting, variant 8's
# first step through wp_pair: the wgmma prefill GPU tests, then `bench
# --only prefill_attn` on the 70B TP-8 share and on Llama-3.1-8B.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c10
pack() { tar -czf $OUT/call10.tar.gz -C $W c10; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c10/env.txt 2>&1
TH_TIMEOUT=200 timeout 220 $B/test_model_gpu t_prefill_attn_small_wgmma t_chunked_attn_small_wgmma t_varlen_attn_wgmma t_attn_large_wgmma t_bad_inputs > $W/c10/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^ok\|^not ok" $W/c10/test_model_gpu.tap | grep -v "not selected"; grep -B5 "^not ok" $W/c10/test_model_gpu.tap | head -30
pack
for m in "llama-3.1-70b --tp 8:70b" "llama-3.1-8b:8b"; do
  a=${m%%:*}; n=${m##*:}
  timeout 200 $B/sparseserve bench --only prefill_attn --model $a --out $W/c10/b-$n > $W/c10/b-$n.log 2>&1; echo "bench $n rc $? $(el)"
  grep "^prefill_attn" $W/c10/b-$n/summary.csv | grep "variant=[78auto]" | cut -d, -f2-
  grep -i "fail\|error" $W/c10/b-$n.log | head
  pack
done
pack
