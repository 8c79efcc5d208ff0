#!/usr/bin/env bash
# call 9 (2026-11-29 session 7): the kernel GPU tests after the cluster
# launch's configuration moved into one helper (cluster_config).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
W=$(mktemp -d); mkdir -p $W/c9
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c9/env.txt 2>&1
TH_TIMEOUT=80 timeout 90 $B/test_kernels_gpu > $W/c9/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $?"
grep "^not ok\|^ok" $W/c9/test_kernels_gpu.tap
tar -czf $OUT/call9.tar.gz -C $W c9
