#!/usr/bin/env bash
# call 6 (2026-11-29 session 7): the shipped decode attention (session 6's
# kernel) against the size-matched ideal reads, and the copy mechanisms
# beside GEMM and sparse attention: `bench --only attn,concurrency`, with
# call 4's binaries (390147a).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
timeout 200 $B/sparseserve bench --only attn,concurrency --out $W/c6/b > $W/c6/b.log 2>&1; echo "bench rc $? $(el)"
grep -E "sparse_decode_attn|dense_decode_attn|hbm_read|slowdown" $W/c6/b.log | grep -v "splits=\|variant=1" | cut -c1-150
pack
