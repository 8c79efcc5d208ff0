#!/usr/bin/env bash
# call 10 (2026-11-29 session 6): the decode attention, sparse decode
# attention and selection grids calibrated on Llama-3-8B-262k's shape (8 KV
# heads, G = 4), to set beside call 6's LWM-7B-shaped tables (32 KV heads) of
# the same kernels: does the efficiency follow the (request x KV head) rows?
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c10
pack() { tar -czf $OUT/call10.tar.gz -C $W c10; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c10/env.txt 2>&1
timeout 150 $B/sparseserve calibrate -v --model llama-3-8b-262k --only decode_attn,decode_attn_sparse,select --out $W/c10/llama-attn.h5 > $W/c10/calibrate.log 2>&1; echo "calibrate rc $? $(el)"
tail -5 $W/c10/calibrate.log
pack
