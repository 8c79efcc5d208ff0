#!/usr/bin/env bash
# Issue 5 GPU run (one device call): the dense model path's GPU tests,
# then `sparseserve bench` for the four model shapes, each in its own
# process and output folder, under one deadline; results under $OUT:
#   env.txt tests.tap bench.log summary.csv results.tar.gz
set -u
C=$PWD/build-i5-carry
export LD_LIBRARY_PATH=$C/lib:/usr/local/cuda/lib64
O=${OUT:?OUT unset}
W=/tmp/i5w
DEADLINE=${DEADLINE:-390}
rm -rf "$W" && mkdir -p "$W"
T0=$SECONDS
stamp() { echo "# $(date -u '+%H:%M:%S') +$((SECONDS - T0))s $*"; }
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -srm), $(nproc) cores"
	free -g | head -2
	nvidia-smi
	nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.width.current,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,power.limit --format=csv
	nvcc --version 2>/dev/null | tail -2
	"$C/bin/sparseserve" --version
	cat "$C/BUILD" 2>/dev/null
} >"$O/env.txt" 2>&1
cat "$O/env.txt"

stamp "test_model_gpu" | tee "$O/tests.tap"
TH_TIMEOUT=150 timeout 170 "$C/bin/test_model_gpu" >>"$O/tests.tap" 2>&1
echo "# test_model_gpu exit $?" >>"$O/tests.tap"
stamp "tests done" >>"$O/tests.tap"
cat "$O/tests.tap"

ONLY=gemm,prefill_attn,chunked_prefill_attn,rmsnorm,rope,swiglu,decoder_layer
for spec in "lwm-7b" "llama-3.1-70b --tp 8" "llama-3-8b-262k" "llama-3.1-8b"; do
	dir=$(echo "$spec" | sed 's/ --tp /-tp/')
	left=$((DEADLINE - (SECONDS - T0)))
	cap=$((left < 110 ? left : 110))
	if [ "$cap" -lt 20 ]; then
		stamp "skip $spec: ${left}s left" | tee -a "$O/bench.log"
		continue
	fi
	stamp "bench $spec (timeout ${cap}s)" | tee -a "$O/bench.log"
	# shellcheck disable=SC2086
	timeout "$cap" "$C/bin/sparseserve" bench --model $spec --only "$ONLY" \
		--warmup 2 --repeats 10 --out "$W/$dir" 2>&1 | tee -a "$O/bench.log"
	echo "# exit ${PIPESTATUS[0]}" | tee -a "$O/bench.log"
done

left=$((DEADLINE - (SECONDS - T0)))
if [ "$left" -gt 40 ]; then
	stamp "test_kernels_gpu (timeout $((left - 10))s)" >>"$O/tests.tap"
	TH_TIMEOUT=$((left - 15)) timeout $((left - 10)) "$C/bin/test_kernels_gpu" >>"$O/tests.tap" 2>&1
	echo "# test_kernels_gpu exit $?" >>"$O/tests.tap"
else
	stamp "test_kernels_gpu skipped: ${left}s left" >>"$O/tests.tap"
fi
stamp "end" | tee -a "$O/bench.log" >>"$O/tests.tap"

first=1
for f in "$W"/*/summary.csv; do
	[ -f "$f" ] || continue
	if [ $first = 1 ]; then head -1 "$f"; first=0; fi
	tail -n +2 "$f"
done >"$O/summary.csv"
tar czf "$O/results.tar.gz" -C "$W" .
ls -la "$O"
