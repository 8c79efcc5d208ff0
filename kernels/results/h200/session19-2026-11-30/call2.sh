#!/usr/bin/env bash
# call 2 (2026-11-30 session 19): gemm_first.cu (this folder), built here
# with `nvcc -O2 -arch=sm_90 -o build-s19/gemm_first gemm_first.cu -lcublas`
# and carried: cuBLAS's first GEMM of a new row count, host time, with the
# handle's default workspace (0) and with one of ours (1), and 0 again
# under CUDA_MODULE_LOADING=EAGER; one process each.
set -u
. scripts/device-call.sh 2
for m in 0 1; do
  echo "== mode $m" >> $C/gemm_first.txt
  build-s19/gemm_first $m >> $C/gemm_first.txt 2>&1
  echo "mode $m rc $? $(el)"
done
echo "== mode 0, EAGER" >> $C/gemm_first.txt
CUDA_MODULE_LOADING=EAGER build-s19/gemm_first 0 >> $C/gemm_first.txt 2>&1
echo "eager rc $? $(el)"
pack
