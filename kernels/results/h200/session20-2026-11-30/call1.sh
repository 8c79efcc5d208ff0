#!/usr/bin/env bash
# call 1 (2026-11-30 session 20): launch_ctx.cu (this folder; built here as
# its header says and carried in build-s20/): how much of the sparse decode
# attention's batch-1 time is launch context (the shared-memory carveout
# change after the bench's L2 flush, the cluster launch); then the GPU
# suites: kernels, model (its dense_to 0 case has not run on a GPU yet)
# and live.
set -u
. scripts/device-call.sh 1
timeout 120 build-s20/launch_ctx > $C/launch_ctx.txt 2>&1; echo "probe rc $? $(el)"
cat $C/launch_ctx.txt
pack
TH_TIMEOUT=200 timeout 210 $B/test_kernels_gpu > $C/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
pack
TH_TIMEOUT=200 timeout 210 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in kernels model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
pack
