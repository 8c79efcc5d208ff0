#!/usr/bin/env bash
# call 9 (session 10): the decoder-layer rows again with the new automatic
# prefill choice (variant 8 for one-wave grids: the 1k prefill of every
# model, the 70B TP-8 share's 4k), `bench --only decoder_layer --warmup 2
# --repeats 10` for the four models (the options of docs/model-kernels.md).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c9
pack() { tar -czf $OUT/call9.tar.gz -C $W c9; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; } > $W/c9/env.txt 2>&1
for m in "llama-3.1-70b --tp 8:70b" "llama-3.1-8b:8b" "lwm-7b:lwm" "llama-3-8b-262k:l3"; do
  a=${m%%:*}; n=${m##*:}
  timeout 75 $B/sparseserve bench --only decoder_layer --warmup 2 --repeats 10 --model $a --out $W/c9/b-$n > $W/c9/b-$n.log 2>&1; echo "bench $n rc $? $(el)"
  grep "^decoder_layer" $W/c9/b-$n/summary.csv | grep "prefill" | cut -d, -f2-4 | sed 's/"//g;s/model=//' | head -12
  pack
done
