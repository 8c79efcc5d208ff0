#!/usr/bin/env python3
"""Join simulated and live summaries (rate,policy,metric,value CSVs) into
the validation table policy,model,rate,metric,sim,live,err_pct, written
atomically, and print it as markdown. err_pct = (sim - live) / live x 100
(empty when live is 0). Where the live summary has a live-runs.csv beside it
(run,rate,policy,metric,value: validate-h200.sh live with REPEATS > 1; the
live summary holds their medians), a second table gives each point's live
range over the runs and whether the simulated value lies in it."""
import csv
import os
import sys

METRICS = ["ttft_mean_s", "ttft_p99_s", "tbt_mean_s", "throughput_tok_s",
           "blocks_loaded"]


def load(path):
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out[(row["rate"], row["policy"], row["metric"])] = float(row["value"])
    return out


def load_runs(path):
    """(rate, policy, metric) -> the values of every run, or {}."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["rate"], row["policy"], row["metric"])
            out.setdefault(key, []).append(float(row["value"]))
    return out


def print_ranges(keys, sim, runs):
    """The live range of each point over its runs, the simulated value."""
    if not any(len(runs.get((r, p, m), [])) > 1
               for r, p in keys for m in METRICS):
        return
    print()
    print("| policy | rate | runs | " + " | ".join(METRICS) + " |")
    print("|---|---|---|" + "---|" * len(METRICS))
    for rate, pol in keys:
        cells, n = [], 0
        for m in METRICS:
            v = runs.get((rate, pol, m), [])
            n = max(n, len(v))
            if not v:
                cells.append("")
                continue
            s = sim[(rate, pol, m)]
            inside = "in" if min(v) <= s <= max(v) else "out"
            cells.append(f"{min(v):.4g}–{max(v):.4g} (sim {s:.4g}, {inside})")
        print(f"| {pol} | {rate} | {n} | " + " | ".join(cells) + " |")


def main():
    sim_path, live_path, model, dest = sys.argv[1:5]
    sim, live = load(sim_path), load(live_path)
    keys = sorted({(r, p) for (r, p, _m) in live}, key=lambda k: (float(k[0]), k[1]))
    rows = []
    for rate, pol in keys:
        for m in METRICS:
            if (rate, pol, m) not in sim or (rate, pol, m) not in live:
                sys.exit(f"validation_table: {m} of {pol} at rate {rate} missing")
            s, l = sim[(rate, pol, m)], live[(rate, pol, m)]
            err = "" if l == 0 else f"{(s - l) / l * 100:.2f}"
            rows.append([pol, model, rate, m, f"{s:.6g}", f"{l:.6g}", err])
    tmp = dest + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["policy", "model", "rate", "metric", "sim", "live", "err_pct"])
        w.writerows(rows)
    os.replace(tmp, dest)
    print("| policy | rate | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for rate, pol in keys:
        cells = []
        for m in METRICS:
            s, l = sim[(rate, pol, m)], live[(rate, pol, m)]
            cells.append(f"{(s - l) / l * 100:+.1f}%" if l else ("=" if s == 0 else f"{s:g} vs 0"))
        print(f"| {pol} | {rate} | " + " | ".join(cells) + " |")
    print_ranges(keys, sim,
                 load_runs(os.path.join(os.path.dirname(live_path) or ".",
                                        "live-runs.csv")))


if __name__ == "__main__":
    main()
