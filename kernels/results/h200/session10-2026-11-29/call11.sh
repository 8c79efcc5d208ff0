#!/usr/bin/env bash
# call 11 (session 10): the shipped code's whole dense-model GPU suite and
# the live executor's GPU tests (the session's last device minutes).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c11
pack() { tar -czf $OUT/call11.tar.gz -C $W c11; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c11/env.txt 2>&1
TH_TIMEOUT=95 timeout 100 $B/test_model_gpu > $W/c11/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
grep -c "^ok" $W/c11/test_model_gpu.tap; grep "^not ok" $W/c11/test_model_gpu.tap | head
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=95 timeout 100 $B/test_live_gpu > $W/c11/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c11/test_live_gpu.tap | cut -c1-120
pack
