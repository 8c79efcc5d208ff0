#!/usr/bin/env python3
"""Join simulated and live summaries (rate,policy,metric,value CSVs) into
the validation table policy,model,rate,metric,sim,live,err_pct, written
atomically, and print it as markdown. err_pct = (sim - live) / live x 100
(empty when live is 0). Where the live summary has a live-runs.csv beside it
(run,rate,policy,metric,value: validate-h200.sh live with REPEATS > 1; the
live summary holds their medians), a second table gives each point's live
range over the runs and whether the simulated value lies in it.

    validation_table.py SIM.csv LIVE.csv MODEL DEST.csv [SIM_LO.csv SIM_HI.csv S]

With SIM_LO.csv and SIM_HI.csv (the same runs simulated with
cost.gpu_scale 1 - S and 1 + S): DEST's "-sensitivity" sibling
(policy,model,rate,metric,sim_lo,sim,sim_hi,live,live_min,live_max,
elasticity,live_in_band,live_med_lo,live_med_hi), written atomically: each
point's simulated band for a GPU S faster or slower than the profile, the
live runs' range, the elasticity d ln(metric) / d ln(GPU time) (how much a
point amplifies an error in the profile's GPU costs), whether the live
median lies in the band, and a confidence interval of at least 95% for the
live median (median_ci; empty with fewer than 6 runs); a count of the
points within the targets at some GPU speed in the band
(experiments/results/validation-h200.md "Session 15"), and the points whose
live median is too uncertain for the target to be met provably: with the
median anywhere in its interval [lo, hi], a simulated value s is within the
target T (a fraction) for all of them only if s / (1 + T) <= lo and
hi <= s / (1 - T), which no s satisfies once hi / lo > (1 + T) / (1 - T);
each such point is listed with whether its simulated value lies inside the
interval (then it cannot be shown outside the target either;
validation-h200.md "Session 20")."""
import csv
import math
import os
import sys

from target_count import TARGET  # issue #7's targets, percent

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


def median_ci(v, level=0.95):
    """A distribution-free confidence interval of at least `level` for the
    median of the population v is drawn from: order statistics x_(j) and
    x_(n+1-j) (1-based) with the largest j such that P(B < j) <= (1 -
    level) / 2, B ~ Binomial(n, 1/2) the number of draws below the median.
    None when even (min, max) covers less than `level` (n < 6 at 95%)."""
    v, n = sorted(v), len(v)
    j, tail = 0, 0.0
    while j < n:
        nxt = tail + math.comb(n, j) / 2 ** n
        if nxt > (1 - level) / 2:
            break
        tail, j = nxt, j + 1
    if j == 0:
        return None
    return v[j - 1], v[n - j]


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


def write_csv(dest, header, rows):
    tmp = dest + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, dest)


def sensitivity(keys, model, sim, lo, hi, scale, live, runs, dest):
    """the -sensitivity table (module docstring) and its summary"""
    rows, n_in, n_tgt, n_all, undecided = [], 0, 0, 0, []
    for rate, pol in keys:
        for m in METRICS:
            k = (rate, pol, m)
            if k not in lo or k not in hi:
                sys.exit(f"validation_table: {m} of {pol} at rate {rate} "
                         "missing from the sensitivity runs")
            s, a, b, l = sim[k], lo[k], hi[k], live[k]
            v = runs.get(k, [l])
            el = ""
            if a > 0 and b > 0:
                el = f"{math.log(b / a) / math.log((1 + scale) / (1 - scale)):.2f}"
            band = (min(a, b, s), max(a, b, s))
            inside = band[0] <= l <= band[1]
            ci = median_ci(v)
            rows.append([pol, model, rate, m, f"{a:.6g}", f"{s:.6g}",
                         f"{b:.6g}", f"{l:.6g}", f"{min(v):.6g}",
                         f"{max(v):.6g}", el, "yes" if inside else "no",
                         f"{ci[0]:.6g}" if ci else "",
                         f"{ci[1]:.6g}" if ci else ""])
            if m in TARGET and l:
                n_all += 1
                n_in += inside
                T = TARGET[m] / 100
                t = T * abs(l)
                n_tgt += band[0] - t <= l <= band[1] + t
                if ci and ci[0] > 0 and ci[1] / ci[0] > (1 + T) / (1 - T):
                    where = ("inside" if ci[0] <= s <= ci[1]
                             else "outside")
                    undecided.append(
                        f"{pol} at {rate}, {m}: median {l:.6g}, 95% "
                        f"interval {(ci[0] - l) / l * 100:+.1f}% to "
                        f"{(ci[1] - l) / l * 100:+.1f}% ({len(v)} runs), "
                        f"target ±{TARGET[m]}%, sim "
                        f"{(s - l) / l * 100:+.1f}% ({where} the interval)")
    base, ext = os.path.splitext(dest)
    write_csv(base + "-sensitivity" + ext,
              ["policy", "model", "rate", "metric", "sim_lo", "sim",
               "sim_hi", "live", "live_min", "live_max", "elasticity",
               "live_in_band", "live_med_lo", "live_med_hi"], rows)
    print()
    print(f"GPU speed band {1 - scale:g}-{1 + scale:g} x the profile: "
          f"the live median inside the simulated band at {n_in} of {n_all} "
          f"mean metrics; within the targets at some speed in the band at "
          f"{n_tgt} of {n_all}")
    print(f"live median too uncertain for any simulated value to be shown "
          f"within the target (95% interval hi/lo > (1 + T) / (1 - T)): "
          f"{len(undecided)} of {n_all}")
    for u in undecided:
        print(f"  {u}")


def main():
    if len(sys.argv) not in (5, 8):
        sys.exit(__doc__.strip().split("\n\n")[1])
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
    write_csv(dest, ["policy", "model", "rate", "metric", "sim", "live",
                     "err_pct"], rows)
    print("| policy | rate | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for rate, pol in keys:
        cells = []
        for m in METRICS:
            s, l = sim[(rate, pol, m)], live[(rate, pol, m)]
            cells.append(f"{(s - l) / l * 100:+.1f}%" if l else ("=" if s == 0 else f"{s:g} vs 0"))
        print(f"| {pol} | {rate} | " + " | ".join(cells) + " |")
    runs = load_runs(os.path.join(os.path.dirname(live_path) or ".",
                                  "live-runs.csv"))
    print_ranges(keys, sim, runs)
    if len(sys.argv) == 8:
        scale = float(sys.argv[7])
        if not 0 < scale < 1:
            sys.exit(f"validation_table: S '{sys.argv[7]}' is not in (0, 1)")
        sensitivity(keys, model, sim, load(sys.argv[5]), load(sys.argv[6]),
                    scale, live, runs, dest)


if __name__ == "__main__":
    main()
