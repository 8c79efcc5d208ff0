#!/usr/bin/env python3
"""Join the live points (experiments/live-points.sh live) with the
simulator on the same settings into experiments/results/live-points-h200.csv:

    setting,model,rate,policy,metric,sim,live,err_pct,finished,requests,source

err_pct = (sim - live) / live x 100. A live run stopped at its time limit
keeps the requests it finished (finished < requests): its means are over
those, the simulated ones over all, so its errors are not comparable and
are left empty. `source` is the live summary the row comes from.

    live_points_table.py SIMDIR MODEL RATE OUT.csv LIVEDIR [LIVEDIR...]

The first LIVEDIR holding a (setting, policy) wins. Rows of other (model,
rate) pairs already in OUT.csv are kept. Written atomically.
"""
import csv
import glob
import os
import sys

METRICS = ["ttft_mean_s", "ttft_p99_s", "tbt_mean_s", "throughput_tok_s",
           "blocks_loaded"]


def summary(path):
    with open(path, newline="") as f:
        return {r["metric"]: float(r["value"]) for r in csv.DictReader(f)}


def main():
    if len(sys.argv) < 6:
        sys.exit("usage: live_points_table.py SIMDIR MODEL RATE OUT.csv "
                 "LIVEDIR [LIVEDIR...]")
    simdir, model, rate, out = sys.argv[1:5]
    seen, rows = set(), []
    for d in sys.argv[5:]:
        for f in sorted(glob.glob(os.path.join(d, "%s_*_r%s_*.csv" %
                                               (model, rate)))):
            name = os.path.basename(f)[:-len(".csv")]
            rest = name[len(model) + 1:]
            setting, policy = rest.split("_")[0], rest.split("_")[-1]
            if (setting, policy) in seen:
                continue
            seen.add((setting, policy))
            live = summary(f)
            simf = os.path.join(simdir, name + ".sim.csv")
            if not os.path.exists(simf):
                sys.exit("live_points_table: %s: no simulated run %s" %
                         (f, simf))
            sim = summary(simf)
            done, req = live.get("finished", 0), live.get("requests", 0)
            for m in METRICS:
                if m not in live or m not in sim:
                    continue
                err = ""
                if done == req and live[m]:
                    err = "%.1f" % ((sim[m] - live[m]) / live[m] * 100)
                rows.append([setting, model, rate, policy, m,
                             "%.6g" % sim[m], "%.6g" % live[m], err,
                             "%d" % done, "%d" % req, f])
    if not rows:
        sys.exit("live_points_table: no live summaries in %s" %
                 " ".join(sys.argv[5:]))
    # the other models' and rates' rows already in OUT stay, first
    kept = []
    if os.path.exists(out):
        with open(out, newline="") as f:
            kept = [r for r in list(csv.reader(f))[1:]
                    if r and (r[1], r[2]) != (model, rate)]
    tmp = out + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["setting", "model", "rate", "policy", "metric", "sim",
                    "live", "err_pct", "finished", "requests", "source"])
        w.writerows(kept + rows)
    os.replace(tmp, out)
    for r in rows:
        print(",".join(r))


if __name__ == "__main__":
    main()
