#!/usr/bin/env bash
# call 4 (2026-11-30 session 12): call 3's binaries. Is the first
# layer-prefill iteration of each request (6-15 ms more GPU window, the
# issue thread blocked in kern_d2h_save: the FlashD2H ring's 16 stages
# full) bound by the CPU scatter? sparseserve's validation point at 1 req/s
# with 4, 8 and 14 scatter threads (--d2h-threads), then the validation's
# sparseserve points with 14 threads.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c4
pack() { tar -czf $OUT/call4.tar.gz -C $W c4; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 400 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; nproc; } > $W/c4/env.txt 2>&1
mkdir -p $W/c4/thr
for n in 4 8 14; do
	timeout 60 $B/sparseserve live --trace synthetic:poisson:rate=1:count=30:lengths=uniform:1000:8000:32:256 \
		--model llama-3-8b-262k --policy sparseserve --dram-gb 12 --seed 1 --quiet --hbm-budget 6 \
		--d2h-threads $n --out $W/c4/thr/t$n.h5 --summary-csv $W/c4/thr/t$n.csv > $W/c4/thr/t$n.log 2>&1
	echo "threads $n rc $? $(el)"; grep iterations $W/c4/thr/t$n.log | cut -c1-260
done
pack
OUT=$W/c4/val POLICIES=sparseserve LIVE_ARGS="--d2h-threads 14" timeout $(left) bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
pack
