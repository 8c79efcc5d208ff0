#!/usr/bin/env bash
# call 7 (2026-11-30 session 11): the review fixes of the selection and issue
# threads (error paths, teardown): the live GPU tests.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d); mkdir -p $W/c7
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c7/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=90 timeout 100 $B/test_live_gpu > $W/c7/test_live_gpu.tap 2>&1; echo "live tests rc $?"
grep "^ok\|^not ok" $W/c7/test_live_gpu.tap | cut -c1-160
tar -czf $OUT/call7.tar.gz -C $W c7
