#!/usr/bin/env bash
# call 8 (session 10): the automatic prefill choice takes variant 8 for
# grids of at most one wave: every dense-model GPU test, then `bench
# --only prefill_attn,chunked_prefill_attn` for the four models, the live
# GPU tests (their short prompts now run variant 8) and the kernel GPU
# tests.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c8
pack() { tar -czf $OUT/call8.tar.gz -C $W c8; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c8/env.txt 2>&1
TH_TIMEOUT=240 timeout 250 $B/test_model_gpu > $W/c8/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep -c "^ok" $W/c8/test_model_gpu.tap; tail -1 $W/c8/test_model_gpu.tap; grep -B5 "^not ok" $W/c8/test_model_gpu.tap | head -30
pack
for m in "llama-3.1-70b --tp 8:70b" "lwm-7b:lwm" "llama-3-8b-262k:l3" "llama-3.1-8b:8b"; do
  a=${m%%:*}; n=${m##*:}
  timeout 150 $B/sparseserve bench --only prefill_attn,chunked_prefill_attn --model $a --out $W/c8/b-$n > $W/c8/b-$n.log 2>&1; echo "bench $n rc $? $(el)"
  grep "^prefill_attn\|^chunked" $W/c8/b-$n/summary.csv | grep "variant=auto\|variant=8\|chunk" | cut -d, -f2- | sed 's/"//g;s/model=//'
  grep -i "fail\|error" $W/c8/b-$n.log | head
  pack
done
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c8/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c8/test_live_gpu.tap | cut -c1-150
pack
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c8/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c8/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c8/test_kernels_gpu.tap | head -20
pack
