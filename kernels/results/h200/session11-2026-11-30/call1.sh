#!/usr/bin/env bash
# call 1 (2026-11-30 session 11): the live GPU tests with the issue thread
# (offload presets: layer l's GPU work issued while the policy works on
# layer l + 1), the validation's live runs at 1, 2, 3 req/s
# (experiments/validate-h200.sh live, its defaults), then sparseserve and
# vllm-so at 2 and 3 req/s on one host thread (--serial-host, the executor
# before this session) on the same machine.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c1
pack() { tar -czf $OUT/call1.tar.gz -C $W c1; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,clocks.sm,clocks.mem --format=csv; $B/sparseserve --version; nproc; } > $W/c1/env.txt 2>&1
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=140 timeout 150 $B/test_live_gpu > $W/c1/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
grep "^ok\|^not ok\|^# " $W/c1/test_live_gpu.tap | cut -c1-220
pack
OUT=$W/c1/val timeout 330 bash experiments/validate-h200.sh live $B/sparseserve; echo "val rc $? $(el)"
grep "iterations" $W/c1/val/live.log | cut -c1-400
pack
OUT=$W/c1/serial RATES="2 3" POLICIES="vllm-so sparseserve" LIVE_ARGS=--serial-host timeout 100 bash experiments/validate-h200.sh live $B/sparseserve; echo "serial rc $? $(el)"
grep "iterations" $W/c1/serial/live.log | cut -c1-400
pack
