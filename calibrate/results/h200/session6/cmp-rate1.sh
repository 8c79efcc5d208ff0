#!/usr/bin/env bash
# sim vs live at rate 1 for the four policies; $1 = profile
prof=$1
for p in vllm vllm-s vllm-so sparseserve; do
  build/sparseserve sim --trace "synthetic:poisson:rate=1:count=30:lengths=uniform:1000:8000:32:256" --model llama-3-8b-262k --policy $p --dram-gb 12 --seed 1 --quiet --profile "$prof" --set mem.hbm_budget_gb=6 --out /tmp/s6fit/sim_$p.h5 --summary-csv /tmp/s6fit/s_$p.csv 2>/tmp/s6fit/err_$p.txt || { echo "sim $p failed: $(head -2 /tmp/s6fit/err_$p.txt)"; continue; }
  /usr/bin/python3 - "$p" <<'PY'
import csv,sys
p=sys.argv[1]
live={r[2]:float(r[3]) for r in csv.reader(open('/work/main/kernels/results/h200/session6-2026-11-29/call13/val/live.csv')) if r[0]=='1' and r[1]==p}
sim={r[1]:float(r[2]) for r in list(csv.reader(open('/tmp/s6fit/s_%s.csv'%p)))[1:]}
out=[]
for m in ('ttft_mean_s','ttft_p99_s','tbt_mean_s','throughput_tok_s','blocks_loaded'):
    l,s=live.get(m),sim.get(m)
    if l is None or s is None: continue
    out.append('%s %s' % (m, ('%+.1f%%'%(100*(s-l)/l)) if l else ('= (0)' if s==0 else 'sim %g live 0'%s)))
print(p, '; '.join(out))
PY
done
