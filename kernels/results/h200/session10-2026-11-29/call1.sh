#!/usr/bin/env bash
# call 1 (session 10): the push cluster merge of decode attention
# variants 3-5 (kernels/experimental/decode_attn_push_merge.patch,
# applied): the kernel GPU tests, then `bench --only attn`.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c1/env.txt 2>&1
TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu > $W/c1/test_kernels_gpu.tap 2>&1; echo "kernel tests rc $? $(el)"
grep -c "^ok" $W/c1/test_kernels_gpu.tap; grep -B3 "^not ok" $W/c1/test_kernels_gpu.tap | head -20
pack
timeout 200 $B/sparseserve bench --only attn --out $W/c1/b > $W/c1/b.log 2>&1; echo "bench rc $? $(el)"
grep "decode_attn" $W/c1/b.log | grep "read_same" | grep -v "splits=\|variant=1" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=read_same_bytes//' | paste - - - -
pack
