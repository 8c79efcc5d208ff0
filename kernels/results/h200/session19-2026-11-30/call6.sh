#!/usr/bin/env bash
# call 6 (2026-11-30 session 19): the validation's live runs with the
# executor that warms every GEMM shape (binaries of 42ae07e), a third
# lease: experiments/validate-h200.sh live, every (rate, policy) once,
# into call6/val/ (three runs a point on three leases, as sessions 15-16).
set -u
. scripts/device-call.sh 6
OUT=$W/c6/val timeout $(( 370 - ($(date +%s)-t0) )) bash experiments/validate-h200.sh live $B/sparseserve; echo "validation rc $? $(el)"
pack
