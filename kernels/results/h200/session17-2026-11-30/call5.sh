#!/usr/bin/env bash
# call 5 (2026-11-30 session 17): A/B on one lease. `bench --only attn` with
# the binaries of c2499c9 (a: the cluster merge's last barrier a full
# cluster.sync) and of 55a6fdd (b: its arrive relaxed), twice each, a b a b
# (call 4 had dense Llama-3-8B batch 1 12% slower than calls 1-3, variant 6,
# whose merge did not change, with it).
set -u
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c5
pack() { tar -czf $OUT/call5.tar.gz -C $W c5; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
mkdir -p A B && tar -xJf .gpu-carry-a.tar.xz -C A && tar -xJf .gpu-carry.tar.xz -C B
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; }  > $W/c5/env.txt 2>&1
for run in a1 b1 a2 b2; do
  D=$([ ${run:0:1} = a ] && echo A || echo B)
  LD_LIBRARY_PATH=$PWD/$D/.gpu-carry/lib:/usr/local/cuda/lib64 $D/.gpu-carry/bin/sparseserve --version >> $W/c5/env.txt
  LD_LIBRARY_PATH=$PWD/$D/.gpu-carry/lib:/usr/local/cuda/lib64 timeout 150 $D/.gpu-carry/bin/sparseserve bench --only attn --out $W/c5/$run > $W/c5/$run.log 2>&1; echo "$run rc $? $(el)"
  grep "decode_attn" $W/c5/$run.log | grep "vs=gather" | grep -v "variant=[1-7]" | sed 's/ \+/ /g' | awk '{print $2, $3, $8}' | sed 's/model=//;s/budget=2048,ctx=131072,//;s/,vs=gather_same_blocks//' | paste - - - - - - -
  pack
done
