#!/usr/bin/env bash
# call 6 (2026-11-30 session 11): call 4's binaries (00f2a0b); sparseserve's
# validation runs at 2 and 3 req/s three times each through
# `REPEATS=3 experiments/validate-h200.sh live` (run-to-run spread of the
# threaded executor; live.csv the medians, live-runs.csv every run).
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c6
pack() { tar -czf $OUT/call6.tar.gz -C $W c6; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version; } > $W/c6/env.txt 2>&1
OUT=$W/c6/rep RATES="2 3" POLICIES=sparseserve REPEATS=3 timeout 200 bash experiments/validate-h200.sh live $B/sparseserve; echo "rep rc $? $(el)"
grep "iterations" $W/c6/rep/live.log | cut -c1-200
grep "tbt_mean\|blocks_loaded" $W/c6/rep/live-runs.csv
pack
