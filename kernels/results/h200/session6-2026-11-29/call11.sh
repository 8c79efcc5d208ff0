#!/usr/bin/env bash
# call 11 (2026-11-29 session 6): experiment, prefill variant 6 on the 70B
# TP-8 share at 4k: the second CTA of each SM in the first wave waits
# SS_PA_STAGGER_NS before its first load, to put the two CTAs sharing an SM
# out of step (session 5's Nsight Compute: they run their MMA and softmax
# phases in lockstep, 42% of the SMs' throughput against 61% in long launches).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c11
pack() { tar -czf $OUT/call11.tar.gz -C $W c11; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; } > $W/c11/env.txt 2>&1
for ns in 0 300 700 1500 3000 0; do
  SS_PA_STAGGER_NS=$ns timeout 60 $B/sparseserve bench --only prefill_attn --model llama-3.1-70b --tp 8 --quick --out $W/c11/b-$ns > $W/c11/b-$ns.log 2>&1
  echo "stagger $ns ns rc $? $(el): $(grep 'tokens=4096,variant=6\|tokens=4096,variant=auto' $W/c11/b-$ns/summary.csv | cut -d, -f1-4,8- | tr '\n' ' ')"
done
pack
