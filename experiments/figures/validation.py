#!/usr/bin/env python3
"""validation.py - data and table of the "simulated vs live on the H200" figure.

    validation.py OUTDIR [CSV [LIVE_POINTS_CSV]]

Reads the committed validation of the simulator against the live executor
(CSV, default experiments/results/validation-h200.csv, written by
experiments/validate-h200.sh: policy,model,rate,metric,sim,live,err_pct,
err = (sim - live) / live) and writes, for plots/fig_validation.gp, one file
per policy OUTDIR/data/validation_<policy>.dat:

    rate ttft_sim_s ttft_live_s tbt_sim_ms tbt_live_ms tput_sim tput_live
    blocks_sim blocks_live

and appends the table of errors to OUTDIR/numbers.md (replacing the section
a previous call appended). It also writes the live points of Figures 10-12
(experiments/results/live-points-h200.csv, experiments/live-points.sh) for
plots/fig10_12.gp, one file per figure setting:

    OUTDIR/data/live_<prof>_<model>.dat: lt rate ttft_s tput_tok_s tbt_ms kind

(lt: the policy's line type in the figure; kind: live, or sim for the
simulator on the live run's own settings); runs stopped at their time limit
are left out. No simulation and no GPU: the numbers are the committed ones,
whose commands validation-h200.md records.
"""
import csv
import decimal
import glob
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
POLICIES = ["vllm", "vllm-s", "vllm-so", "sparseserve"]
METRICS = ["ttft_mean_s", "tbt_mean_s", "throughput_tok_s", "blocks_loaded"]
HEADING = "\n## Simulated vs live on the H200"
# live-points-h200.csv's settings -> the figure's profile key. A point goes
# on a figure only where it ran the figure's own setting: the figure's
# trace lengths (experiments/live-points.sh serves longbench-v1-32k) and,
# for h200-40g, the model's 40 GB-card KV space (runs.py's LEN and CAP40;
# Llama-3-8B's figures use 128k lengths and 21.9 GB, so its points stay in
# the table only)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runs import CAP40, LEN  # noqa: E402

LIVE_LENGTHS = "longbench-v1-32k"


def setting_prof(setting, model):
    if LEN.get(model) != LIVE_LENGTHS:
        return None
    if setting == "full":
        return "h200"
    if setting.startswith("cap") and model in CAP40 and \
            float(setting[3:]) == CAP40[model]:
        return "h200-40g"
    return None


def live_points(outdir, path):
    """data/live_<prof>_<model>.dat from live-points-h200.csv."""
    pts = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["finished"] != r["requests"]:
                continue  # stopped at its time limit: means over a part
            if r["policy"] not in POLICIES:
                continue  # the ablation's middle steps: table only
            prof = setting_prof(r["setting"], r["model"])
            if prof is None:
                continue  # not a figure's setting (see setting_prof)
            key = (prof, r["model"], r["policy"], num(r["rate"]))
            pts.setdefault(key, {})[r["metric"]] = (num(r["sim"]),
                                                    num(r["live"]))
    files = {}
    for (prof, model, pol, rate), m in sorted(pts.items()):
        lt = POLICIES.index(pol) + 1
        for k in ("ttft_mean_s", "throughput_tok_s", "tbt_mean_s"):
            if k not in m:
                sys.exit("validation: %s: %s at %g req/s (%s) lacks %s"
                         % (path, pol, rate, prof, k))
        for i, kind in enumerate(("sim", "live")):
            files.setdefault((prof, model), []).append(
                "%d %g %.6g %.6g %.6g %s\n" % (
                    lt, rate, m["ttft_mean_s"][i], m["throughput_tok_s"][i],
                    1e3 * m["tbt_mean_s"][i], kind))
    data = os.path.join(outdir, "data")
    for old in glob.glob(os.path.join(data, "live_*.dat")):
        os.remove(old)  # a figure whose points are gone draws none
    for (prof, model), lines in files.items():
        out = os.path.join(data, "live_%s_%s.dat" % (prof, model))
        with open(out + ".tmp", "w") as f:
            f.write("# lt rate ttft_s tput_tok_s tbt_ms kind\n")
            f.writelines(lines)
        os.replace(out + ".tmp", out)


# The ablation ladder served live (experiments/live-points.sh, session 8):
# Llama-3-8B-262k at 3 req/s under the 24.6 GB cap, every policy of the
# ladder; fig_live_ladder.gp draws it.
LADDER = ("llama-3-8b-262k", "cap24.6", 3.0)
LADDER_POLICIES = ["vllm", "vllm-s", "vllm-so", "so-ft", "so-ft-wc",
                   "sparseserve"]
LADDER_METRICS = ["ttft_mean_s", "tbt_mean_s", "throughput_tok_s",
                  "blocks_loaded"]


def ladder(outdir, path):
    """data/live_ladder.dat from live-points-h200.csv: one row per policy,
    simulated and live mean TTFT (s), mean TBT (ms), throughput (tok/s)
    and blocks loaded (M block-heads); absent if a step is missing."""
    model, setting, rate = LADDER
    got = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if (r["model"], r["setting"], num(r["rate"])) != \
                    (model, setting, rate) or r["finished"] != r["requests"]:
                continue
            got.setdefault(r["policy"], {})[r["metric"]] = (num(r["sim"]),
                                                           num(r["live"]))
    out = os.path.join(outdir, "data", "live_ladder.dat")
    if any(p not in got or any(k not in got[p] for k in LADDER_METRICS)
           for p in LADDER_POLICIES):
        if os.path.exists(out):
            os.remove(out)
        return
    scale = {"ttft_mean_s": 1, "tbt_mean_s": 1e3, "throughput_tok_s": 1,
             "blocks_loaded": 1e-6}
    with open(out + ".tmp", "w") as f:
        f.write("# policy ttft_sim_s ttft_live_s tbt_sim_ms tbt_live_ms "
                "tput_sim tput_live blocks_sim_M blocks_live_M\n")
        for p in LADDER_POLICIES:
            f.write(p + "".join(" %.6g %.6g" % (scale[k] * got[p][k][0],
                                                 scale[k] * got[p][k][1])
                                for k in LADDER_METRICS) + "\n")
    os.replace(out + ".tmp", out)


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return float("nan")


def load(path):
    """{(policy, rate): {metric: (sim, live, err_pct text)}}, the model."""
    rows, models = {}, set()
    with open(path) as f:
        for r in csv.DictReader(f):
            models.add(r["model"])
            rows.setdefault((r["policy"], num(r["rate"])), {})[r["metric"]] = (
                num(r["sim"]), num(r["live"]), r["err_pct"])
    if len(models) != 1:
        sys.exit("validation: %s: expected one model, found %s" %
                 (path, sorted(models)))
    return rows, models.pop()


def err(cell):
    """err_pct as the table shows it: '=' for equal zeros, signed % else."""
    sim, live, pct = cell
    if sim == live:
        return "="
    if not pct:  # live is 0
        return "n/a"
    # rounded from the CSV's decimal text, half up, as validation-h200.md
    d = decimal.Decimal(pct).quantize(decimal.Decimal("0.1"),
                                      rounding=decimal.ROUND_HALF_UP)
    return "%s%s%%" % ("+" if d >= 0 else "", d)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: validation.py OUTDIR [CSV [LIVE_POINTS_CSV]]")
    outdir = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        ROOT, "experiments", "results", "validation-h200.csv")
    rows, model = load(path)
    data = os.path.join(outdir, "data")
    os.makedirs(data, exist_ok=True)
    rates = sorted({rate for _, rate in rows})
    for p in POLICIES:
        with open(os.path.join(data, "validation_%s.dat" % p), "w") as f:
            f.write("# rate ttft_sim_s ttft_live_s tbt_sim_ms tbt_live_ms "
                    "tput_sim tput_live blocks_sim blocks_live\n")
            for rate in rates:
                m = rows.get((p, rate))
                if m is None or any(k not in m for k in METRICS):
                    sys.exit("validation: %s: %s at %g req/s lacks a metric"
                             % (path, p, rate))
                ts, tl, _ = m["ttft_mean_s"]
                bs, bl, _ = m["tbt_mean_s"]
                ps, pl, _ = m["throughput_tok_s"]
                ks, kl, _ = m["blocks_loaded"]
                f.write("%g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g\n" % (
                    rate, ts, tl, 1e3 * bs, 1e3 * bl, ps, pl, ks, kl))

    md = [HEADING + " (%s, profile h200-live; experiments/figures/"
          "validation.py from %s)\n" % (model, os.path.relpath(path, ROOT)),
          "| rate | policy | TTFT mean sim / live s | err | TBT mean sim / "
          "live ms | err | throughput sim / live tok/s | err | blocks "
          "loaded err |",
          "|---" * 9 + "|"]
    for rate in rates:
        for p in POLICIES:
            m = rows[(p, rate)]
            t, b, h = m["ttft_mean_s"], m["tbt_mean_s"], m["throughput_tok_s"]
            md.append("| %g | %s | %.3g / %.3g | %s | %.3g / %.3g | %s | "
                      "%.4g / %.4g | %s | %s |" % (
                          rate, p, t[0], t[1], err(t), 1e3 * b[0],
                          1e3 * b[1], err(b), h[0], h[1], err(h),
                          err(m["blocks_loaded"])))
    points = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        ROOT, "experiments", "results", "live-points-h200.csv")
    live_points(outdir, points)
    ladder(outdir, points)
    numbers = os.path.join(outdir, "numbers.md")
    old = ""
    if os.path.exists(numbers):
        with open(numbers) as f:
            old = f.read()
        cut = old.find(HEADING)
        if cut >= 0:
            old = old[:cut]
        old = old.rstrip("\n") + "\n" if old.strip() else ""
    with open(numbers, "w") as f:
        f.write(old + "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
