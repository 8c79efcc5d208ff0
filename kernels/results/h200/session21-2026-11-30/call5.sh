#!/usr/bin/env bash
# call 5 (2026-11-30 session 21): which case of t_sparse_decode_attn hangs
# (call 4: the kernel GPU suite stopped at that test, killed at 210 s);
# each case named on stderr before it runs (SS_TEST_TRACE).
set -u
. scripts/device-call.sh 5
SS_TEST_TRACE=1 TH_TIMEOUT=100 timeout 110 $B/test_kernels_gpu t_sparse_decode_attn > $C/trace.tap 2>&1; echo "rc $? $(el)"
grep -c attn_case $C/trace.tap; tail -4 $C/trace.tap
pack
