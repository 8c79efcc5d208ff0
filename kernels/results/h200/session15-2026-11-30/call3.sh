#!/usr/bin/env bash
# call 3 (2026-11-30 session 15): binaries of the commit named in env.txt.
# The live executor warms up before each policy's run (a throwaway executor
# serves two short requests first). The kernel GPU tests (t_bad_inputs fixed
# since call 1), the validation's live runs once with the warm-up
# (experiments/validate-h200.sh live: every policy at 1, 2 and 3 req/s), then
# the live GPU tests.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c3/env.txt 2>&1
TH_TIMEOUT=150 timeout 160 $B/test_kernels_gpu > $W/c3/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c3/test_kernels_gpu.tap; grep -B5 "^not ok" $W/c3/test_kernels_gpu.tap | head -30
pack
OUT=$W/c3/val timeout 370 bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(el)"
grep "warm-up" $W/c3/val/live.log | head -12
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=120 timeout 130 $B/test_live_gpu > $W/c3/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c3/test_live_gpu.tap | cut -c1-150
pack
