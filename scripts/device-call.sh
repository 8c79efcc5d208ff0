# device-call.sh - the preamble of a device call script, sourced on the GPU
# machine from the repository root after `tar -xJf .gpu-carry.tar.xz`:
#
#   . scripts/device-call.sh N
#
# sets B (the carried binaries) and LD_LIBRARY_PATH for them, C (a fresh
# folder for the call's results, cN under a temporary W), pack (writes
# $OUT/callN.tar.gz from C: call it after every step, so that a call cut
# short still brings back what it did) and el (the seconds since the
# preamble), and writes $C/env.txt: date, GPU, driver, clocks and the
# binaries' version (the commit they were built from). The device call
# scripts of sessions 7-17 (kernels/results/h200/session*/call*.sh) spell
# these lines out; they are kept as they ran.
call_n=${1:-}
case $call_n in
'' | *[!0-9]*)
	echo "usage: . scripts/device-call.sh N (the number of the call)" >&2
	exit 2 # the call script stops here
	;;
esac
: "${OUT:?device-call.sh: OUT, the result folder of the device tool, is not set}"
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d)
C=$W/c$call_n
mkdir -p "$C"
pack() { tar -czf "$OUT/call$call_n.tar.gz" -C "$W" "c$call_n"; }
el() { echo "$(($(date +%s) - t0))s"; }
{
	date -u
	nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv || true
	"$B/sparseserve" --version || true
} >"$C/env.txt" 2>&1
