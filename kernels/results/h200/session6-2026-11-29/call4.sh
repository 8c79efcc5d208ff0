#!/usr/bin/env bash
# call 4 (2026-11-29 session 6): the bench's L2 flush is a read of 4x L2
# (clean cache) instead of a memset; the decode attention's split count for
# small problems from the call-3 sweeps. Kernel tests, then attention,
# selection and the elementwise kernels (70B TP-8 share, Llama-3.1-8B).
# The forced-split rows compare with call 3's (same kernel, memset flush).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c4/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c4/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok" $W/c4/test_kernels_gpu.tap | head
timeout 150 $B/sparseserve bench --only attn,select --out $W/c4/b-attn > $W/c4/b-attn.log 2>&1; echo "bench attn,select rc $? $(el)"
grep -i "fail" $W/c4/b-attn.log | head -3
pack
timeout 100 $B/sparseserve bench --only rope,rmsnorm,swiglu --model llama-3.1-70b --tp 8 --out $W/c4/b-70b > $W/c4/b-70b.log 2>&1; echo "bench 70b rc $? $(el)"
timeout 100 $B/sparseserve bench --only rope,rmsnorm,swiglu --model llama-3.1-8b --out $W/c4/b-8b > $W/c4/b-8b.log 2>&1; echo "bench 8b rc $? $(el)"
for f in $W/c4/b-*/summary.csv; do grep -v "^limit\|variant=1\|splits=" $f | cut -d, -f1-4,8-; done
pack
