#!/usr/bin/env python3
"""paper_table.py - table of experiments/paper_a100.sh results.

usage: paper_table.py DIR COUNT
Reads DIR/<profile>_<model>_<lengths>_r<rate>_cap<gb>_<policy>.csv and
DIR/wall*.txt; writes DIR/table.csv (one row per run) and DIR/table.md
(mean TTFT, mean TBT, throughput per setting and policy, and the ratios
of vllm to sparseserve the paper reports).
"""
import csv
import os
import re
import sys

d, count = sys.argv[1], sys.argv[2]
pat = re.compile(r"^(?P<prof>[^_]+)_(?P<model>[^_]+)_(?P<len>[^_]+)_r(?P<rate>[0-9.]+)_cap(?P<cap>[0-9.]+)_(?P<pol>[^_]+)\.csv$")
wall = {}
for f in sorted(os.listdir(d)):
    if f.startswith("wall") and f.endswith(".txt"):
        for line in open(os.path.join(d, f)):
            if len(line.split()) == 2:
                tag, w = line.split()
                wall[tag] = float(w)
rows = []
for f in sorted(os.listdir(d)):
    m = pat.match(f)
    if not m:
        continue
    met = {}
    for r in csv.DictReader(open(os.path.join(d, f))):
        met[r["metric"]] = float(r["value"])
    row = m.groupdict()
    row["wall_s"] = wall.get(f[:-4], float("nan"))
    row.update(met)
    rows.append(row)
keys = ["prof", "model", "len", "rate", "cap", "pol", "finished", "ttft_mean_s",
        "ttft_p99_s", "tbt_mean_s", "tbt_p99_s", "throughput_tok_s",
        "throughput_req_s", "goodput_req_s", "preemptions", "batch_mean",
        "loads_per_iter", "hbm_hit_ratio", "held_back", "pcie_h2d_busy",
        "pcie_d2h_busy", "stall_s", "load_wait_s", "wall_s"]
with open(os.path.join(d, "table.csv"), "w", newline="") as fo:
    w = csv.writer(fo)
    w.writerow(keys)
    for r in rows:
        w.writerow([r.get(k, "") for k in keys])

order = ["vllm", "vllm-s", "vllm-so", "so-ft", "so-ft-wc", "sparseserve"]
settings = {}
for r in rows:
    settings.setdefault((r["prof"], r["model"], r["len"], r["cap"], float(r["rate"])), {})[r["pol"]] = r
out = [f"Simulated, {count} requests per run, seed 1 (experiments/paper_a100.sh).", "",
       "| profile | model | KV cap GB | rate req/s | policy | TTFT mean s | TBT mean ms | throughput tok/s | loads/iter | hit ratio | held back | wall s |",
       "|---|---|---|---|---|---|---|---|---|---|---|---|"]
ratios = ["", "| profile | model | KV cap GB | rate | TTFT vllm / sparseserve | throughput sparseserve / vllm | TBT sparseserve / vllm | TTFT vllm-so / sparseserve |",
          "|---|---|---|---|---|---|---|---|"]
for key in sorted(settings):
    prof, model, ln, cap, rate = key
    s = settings[key]
    for p in order:
        if p not in s:
            continue
        r = s[p]
        out.append(f"| {prof} | {model} | {cap if cap not in ('0', '0.0') else 'full'} | {rate:g} | {p} | "
                   f"{r['ttft_mean_s']:.2f} | {r['tbt_mean_s']*1e3:.1f} | {r['throughput_tok_s']:.1f} | "
                   f"{r['loads_per_iter']:.0f} | {r['hbm_hit_ratio']:.3f} | {r['held_back']:.0f} | {r['wall_s']:.1f} |")
    if "vllm" in s and "sparseserve" in s:
        v, ss = s["vllm"], s["sparseserve"]
        so = s.get("vllm-so")
        ratios.append(f"| {prof} | {model} | {cap if cap not in ('0', '0.0') else 'full'} | {rate:g} | "
                      f"{v['ttft_mean_s']/ss['ttft_mean_s']:.2f}x | {ss['throughput_tok_s']/v['throughput_tok_s']:.2f}x | "
                      f"{ss['tbt_mean_s']/v['tbt_mean_s']:.2f} | "
                      + (f"{so['ttft_mean_s']/ss['ttft_mean_s']:.2f}x |" if so else "- |"))
with open(os.path.join(d, "table.md"), "w") as fo:
    fo.write("\n".join(out + ratios) + "\n")
print("\n".join(out + ratios))
