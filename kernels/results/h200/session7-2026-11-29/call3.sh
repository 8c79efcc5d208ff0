#!/usr/bin/env bash
# call 3 (2026-11-29 session 7): the decode attention with planned split
# ranges and the fused merge (commit 2d50c7b, merged): the kernel and live
# GPU tests, `bench --only attn` (with the size-matched read limits), and
# the calibration to ship: Llama-3-8B-262k's shape, denser transfer and
# lm_head grids, 15 repetitions, interleaved bulk copies.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c3/env.txt 2>&1
TH_TIMEOUT=150 timeout 170 $B/test_kernels_gpu > $W/c3/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|^ok" $W/c3/test_kernels_gpu.tap | head -40
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=100 timeout 110 $B/test_live_gpu > $W/c3/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok" $W/c3/test_live_gpu.tap
pack
timeout 150 $B/sparseserve bench --only attn --out $W/c3/b-attn > $W/c3/b-attn.log 2>&1; echo "bench attn rc $? $(el)"
grep -E "sparse_decode_attn|dense_decode_attn|hbm_read" $W/c3/b-attn.log | grep -v "splits=" | cut -c1-160
pack
timeout 150 $B/sparseserve calibrate -v --model llama-3-8b-262k --out $W/c3/h200-llama.h5 > $W/c3/calibrate-llama.log 2>&1; echo "calibrate llama rc $? $(el)"
$B/sparseserve calibrate --report $W/c3/h200-llama.h5 --csv > $W/c3/report-llama.csv 2>&1; cat $W/c3/report-llama.csv
pack
