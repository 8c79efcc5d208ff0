#!/usr/bin/env bash
# call 13 (2026-11-29 session 6): the validation's live runs at 1 req/s only
# (the device time left), with call 12's binaries; run as one command line:
tar -xJf .gpu-carry.tar.xz 2>/dev/null; export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64; W=$(mktemp -d); mkdir -p $W/c13; { date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; } > $W/c13/env.txt; RATES="1" OUT=$W/c13/val timeout 200 bash experiments/validate-h200.sh live .gpu-carry/bin/sparseserve; echo "val rc $?"; cat $W/c13/val/live.csv | grep "ttft_mean_s\|tbt_mean_s\|throughput_tok_s\|blocks_loaded"; tar -czf $OUT/call13.tar.gz -C $W c13
