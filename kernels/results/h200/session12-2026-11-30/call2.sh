#!/usr/bin/env bash
# call 2 (2026-11-30 session 12): binaries of e7da211 (iterations record
# prefill_layer_tokens, gather_layer_tokens, prefill_layers, load_layers):
# the executor's calibration runs again (experiments/exec-calib.sh,
# Llama-3-8B-262k) for the refit with those columns; the cold first
# iteration with the CUDA modules loaded eagerly (CUDA_MODULE_LOADING=EAGER,
# validation's sparseserve point at 1 req/s, against call 1's lazy run);
# then the validation's live runs again (a second draw, another lease).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c2
pack() { tar -czf $OUT/call2.tar.gz -C $W c2; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
left() { echo $(( 585 - ($(date +%s)-t0) )); }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c2/env.txt 2>&1
MODELS=llama-3-8b-262k OUT=$W/c2 timeout 200 bash experiments/exec-calib.sh $B/sparseserve calibrate/results/h200/h200.h5; echo "exec-calib rc $? $(el)"
pack
for ml in EAGER LAZY; do
	CUDA_MODULE_LOADING=$ml timeout 60 $B/sparseserve live --trace synthetic:poisson:rate=1:count=30:lengths=uniform:1000:8000:32:256 \
		--model llama-3-8b-262k --policy sparseserve --dram-gb 12 --seed 1 --quiet --hbm-budget 6 \
		--out $W/c2/cold_$ml.h5 --summary-csv $W/c2/cold_$ml.csv > $W/c2/cold_$ml.log 2>&1
	echo "cold $ml rc $? $(el)"
done
pack
OUT=$W/c2/val timeout $(left) bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
pack
