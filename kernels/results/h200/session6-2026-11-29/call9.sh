#!/usr/bin/env bash
# call 9 (2026-11-29 session 6): every GPU test program at the session's
# last kernel commit (the live executor runs the new merge, split plan,
# selection top-k, RoPE launch and FlashD2H scatter).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c9
pack() { tar -czf $OUT/call9.tar.gz -C $W c9; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c9/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c9/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok" $W/c9/test_kernels_gpu.tap | head
TH_TIMEOUT=150 timeout 170 $B/test_model_gpu > $W/c9/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep "^not ok" $W/c9/test_model_gpu.tap | head
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=200 timeout 220 $B/test_live_gpu > $W/c9/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c9/test_live_gpu.tap
pack
