#!/usr/bin/env bash
# call 3 (2026-11-29 session 8): is the offload policies' run-to-run spread
# live (sparseserve at 2 req/s: TBT 10.7 / 12.6 / 14.5 ms in call 2, host
# cost per block-head hit 0.037 / 0.062 / 0.079 us) the host's page size?
# The policy's directory is read at random, one block-head at a time. The
# validation's sparseserve rate-2 run four times: transparent huge pages
# off twice, then on ("always", memory compacted first) twice, with
# AnonHugePages sampled every second. The machine's settings are printed
# before and restored after.
set -u
export LD_LIBRARY_PATH=$PWD/.gpu-carry/lib:/usr/local/cuda/lib64
B=.gpu-carry/bin
t0=$(date +%s)
W=$(mktemp -d); mkdir -p $W/c3
pack() { tar -czf $OUT/call3.tar.gz -C $W c3; }
el() { echo "$(( $(date +%s)-t0 ))s"; }
T=/sys/kernel/mm/transparent_hugepage
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; $B/sparseserve --version;
  echo "thp enabled: $(cat $T/enabled)"; echo "thp defrag: $(cat $T/defrag)"; free -g; grep -i huge /proc/meminfo; } > $W/c3/env.txt 2>&1
thp0=$(sed 's/.*\[\(.*\)\].*/\1/' $T/enabled); def0=$(sed 's/.*\[\(.*\)\].*/\1/' $T/defrag)
run() { # name
	( while :; do echo "$(date +%s) $(grep AnonHugePages /proc/meminfo)"; sleep 1; done ) > $W/c3/$1.anon 2>&1 &
	sp=$!
	OUT=$W/c3/$1 RATES=2 POLICIES=sparseserve timeout 70 bash experiments/validate-h200.sh live $B/sparseserve; echo "$1 rc $? $(el) $(grep tbt_mean $W/c3/$1/live.csv)"
	kill $sp; pack
}
echo never > $T/enabled; run never1; run never2
echo always > $T/enabled; echo madvise > $T/defrag 2>/dev/null
echo 1 > /proc/sys/vm/compact_memory; run always1
echo 1 > /proc/sys/vm/compact_memory; run always2
echo $thp0 > $T/enabled; echo $def0 > $T/defrag
echo "restored: $(cat $T/enabled) / $(cat $T/defrag)" >> $W/c3/env.txt
pack
