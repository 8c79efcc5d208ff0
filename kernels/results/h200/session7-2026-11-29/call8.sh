#!/usr/bin/env bash
# call 8 (2026-11-29 session 7): decode attention variant 3 (the splits of a
# list as one thread-block cluster, merged through distributed shared
# memory): the kernel GPU tests, then `bench --only attn` (",variant=3"
# rows beside the automatic choice and the same-size ideal reads).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c8
pack() { tar -czf $OUT/call8.tar.gz -C $W c8; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c8/env.txt 2>&1
TH_TIMEOUT=80 timeout 90 $B/test_kernels_gpu > $W/c8/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep "^not ok\|^ok\|^#" $W/c8/test_kernels_gpu.tap | head -30
pack
timeout 150 $B/sparseserve bench --only attn --out $W/c8/b > $W/c8/b.log 2>&1; echo "bench rc $? $(el)"
grep -E "sparse_decode_attn|dense_decode_attn" $W/c8/b.log | grep -v "splits=\|variant=1" | grep -v "read_same" | cut -c1-130
grep -E "variant=3,vs=read_same|batch=[14],vs=read_same" $W/c8/b.log | grep sparse | cut -c1-140
pack
