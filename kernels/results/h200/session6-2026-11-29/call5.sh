#!/usr/bin/env bash
# call 5 (2026-11-29 session 6): the selection's top-k rewritten (one scan
# for the compaction, radix select from the keys' common prefix with an
# early stop), RoPE's automatic launch = the tile launch past 10 head
# slots, the bench's time-based warm-up (>= 20 ms a case). Tests (and
# racecheck on the selection tests), then the benchmarks of every kernel
# family that changed this session, for all four model shapes.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c5/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c5/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok" $W/c5/test_kernels_gpu.tap | head
TH_TIMEOUT=150 timeout 170 $B/test_model_gpu > $W/c5/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^not ok" $W/c5/test_model_gpu.tap | head
TH_TIMEOUT=150 timeout 160 /usr/local/cuda/bin/compute-sanitizer --tool racecheck $B/test_kernels_gpu t_select_topk t_select_topk_long t_select_topk_ties t_select_topk_global > $W/c5/racecheck-select.txt 2>&1; echo "racecheck rc $? $(el)"
tail -3 $W/c5/racecheck-select.txt
pack
timeout 150 $B/sparseserve bench --only attn,select,d2h --out $W/c5/b-attn > $W/c5/b-attn.log 2>&1; echo "bench attn,select,d2h rc $? $(el)"
grep -i "fail" $W/c5/b-attn.log | head -3
pack
for m in llama-3.1-8b llama-3-8b-262k lwm-7b; do
  timeout 80 $B/sparseserve bench --only rope,rmsnorm,swiglu --model $m --out $W/c5/b-$m > $W/c5/b-$m.log 2>&1; echo "bench $m rc $? $(el)"
done
timeout 150 $B/sparseserve bench --only rope,rmsnorm,swiglu,prefill_attn --model llama-3.1-70b --tp 8 --out $W/c5/b-70b > $W/c5/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
for f in $W/c5/b-*/summary.csv; do grep -v "^limit\|variant=\|splits=\|hpt=" $f | grep "^select\|^rope\|^rmsnorm\|^swiglu\|^prefill\|batch=1,\|batch=4,\|batch=16,\|threads=8" | cut -d, -f1-4,8-; done
pack
