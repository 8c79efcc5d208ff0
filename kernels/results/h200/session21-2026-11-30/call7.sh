#!/usr/bin/env bash
# call 7 (2026-11-30 session 21): the model and live GPU suites on the
# landed decode attention (the warps' merge of every head at once, QK in
# two accumulator chains; call 6 ran the kernel suite, 16/16).
set -u
. scripts/device-call.sh 7
TH_TIMEOUT=140 timeout 150 $B/test_model_gpu > $C/test_model_gpu.tap 2>&1; echo "model tests rc $? $(el)"
pack
SPARSESERVE=$PWD/$B/sparseserve SS_SOURCE_ROOT=$PWD TH_TIMEOUT=240 timeout 250 $B/test_live_gpu > $C/test_live_gpu.tap 2>&1; echo "live tests rc $? $(el)"
for t in model live; do echo "$t: $(grep -c '^ok' $C/test_${t}_gpu.tap) ok, $(grep -c '^not ok' $C/test_${t}_gpu.tap) not ok"; grep '^not ok' $C/test_${t}_gpu.tap | cut -c1-200; done
pack
