#!/usr/bin/env bash
# call 4 (2026-11-30 session 18): the GPU tests of every suite with the
# shipped build (the transposed QK of call 1 also runs in the dense model
# path and the live executor): test_kernels_gpu, test_model_gpu,
# test_live_gpu; and the host's CPU topology (lscpu), for the policy
# thread's run-to-run spread (EXPERIMENTS.md, session 18).
set -u
. scripts/device-call.sh 4
{ lscpu; numactl -H 2>/dev/null; } > $C/lscpu.txt 2>&1
$B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
pack
TH_TIMEOUT=200 timeout 210 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in kernels model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
grep -E "Thread|Core|Socket|Model name|NUMA" $C/lscpu.txt
pack
