#!/usr/bin/env python3
"""runs.py - the simulator runs behind every simulated figure (issue 8).

    runs.py OUTDIR [--quick]

Writes OUTDIR/spec.json, one `sparseserve sweep` spec whose axes are all
zipped (one value per run, so the spec is a plain list of runs), and
OUTDIR/runs.csv (run number, the keys extract.py finds it by, its
parameters) and prints the number of runs. Identical runs wanted by several figures are listed once.
Every run uses the same seed (seed_axes = []): all policies at one rate
replay the same synthetic trace (common random numbers).

Counts and rates are here and nowhere else. FIG_COUNT (environment)
overrides the requests per online run (default 64 for both models,
within the 30-minute budget). --quick lists only the few runs of the quick
check (scripts/figures.sh with FIGURES_QUICK=1).

Runs are ordered most expensive first (LWM-7B offload at high load), so
the sweep's dynamic hand-out keeps both cores busy to the end.
"""
import csv
import json
import os
import sys

# requests per online run (FIG_COUNT overrides), and the sampled mode:
# offload policies simulate SAMPLE of the KV heads of every layer, each
# standing for kv_heads / SAMPLE (offload.sample_heads, approximate;
# EXPERIMENTS.md compares it with full fidelity). Without it an LWM-7B
# offload run costs ~1 CPU s per request and the set would not fit the
# 30-minute budget; FIG_SAMPLE=0 runs at full fidelity.
COUNT = {"lwm-7b": 64, "llama-3-8b-262k": 64}
if os.environ.get("FIG_COUNT"):
    COUNT = {m: int(os.environ["FIG_COUNT"]) for m in COUNT}
SAMPLE = int(os.environ.get("FIG_SAMPLE", "4"))
BASE4 = ["vllm", "vllm-s", "vllm-so", "sparseserve"]
LADDER = ["vllm", "vllm-s", "vllm-so", "so-ft", "so-ft-wc", "sparseserve"]
OFFLOAD = {"vllm-so", "so-ft", "so-ft-wc", "sparseserve"}
LEN = {"lwm-7b": "longbench-v1-32k", "llama-3-8b-262k": "longbench-v1-128k"}
# KV space a 40 GB card leaves each model (kv_capacity_gb of a100-40g
# runs: 0.9 x 40 GiB - weights - activation reserve): the "h200 capped at
# 40 GB" setting caps the H200's KV space to it with mem.hbm_budget_gb.
CAP40 = {"lwm-7b": 24.6, "llama-3-8b-262k": 21.9}

# request rates (req/s) per (profile, model): the paper's 0.1-0.3 on the
# A100 and past it (our requests are lighter, so vLLM saturates later:
# EXPERIMENTS.md); H200 and GH200 serve about 3x faster.
RATES = {
    ("a100-40g", "lwm-7b"): [0.1, 0.2, 0.3, 0.45, 0.6, 0.9],
    ("a100-40g", "llama-3-8b-262k"): [0.1, 0.3, 0.6, 0.9, 1.5, 2.5],
    ("h200", "lwm-7b"): [0.5, 1.0, 1.5, 2.0, 3.0],
    ("h200", "llama-3-8b-262k"): [0.5, 1.0, 2.0, 3.0],
    ("h200-40g", "lwm-7b"): [0.5, 1.0, 1.5, 2.0],
    ("gh200", "lwm-7b"): [0.5, 1.0, 2.0, 3.0],
}
# link bandwidths (GB/s each way) of the link figure (link.*_gbps keys)
LINK_GBS = [16, 32, 64, 128, 256, 450]
# the ablation ladder (Figs 13, 15, 16a): so-ft and so-ft-wc at these
# rates as well (the other four policies run at every rate anyway)
LADDER_AT = {
    ("a100-40g", "lwm-7b"): [0.1, 0.2, 0.3, 0.45, 0.6, 0.9],
    ("a100-40g", "llama-3-8b-262k"): [0.6, 0.9, 1.5, 2.5],
    ("h200", "lwm-7b"): [1.5, 3.0],
    # the knee of the committed h200 Llama runs (Figs 10-12, made at
    # f1d2646): every policy meets the SLO at 0.5-3 req/s, and 2 -> 3 is
    # where mean TTFT starts to climb (vLLM 0.35 -> 0.52 s, SparseServe
    # 0.37 -> 0.56 s) and vLLM's throughput falls behind the arrival rate
    # (443 against ~485 tok/s); 3 is the grid's top (Fig 13's goodput)
    ("h200", "llama-3-8b-262k"): [2.0, 3.0],
    ("h200-40g", "lwm-7b"): [0.5, 1.0, 1.5, 2.0],
}


class Runs:
    def __init__(self):
        self.rows = []
        self.index = {}

    def add(self, key, profile, model, trace, policy, cap=0.0, seqs=256,
            mbt=2048, inject=0, cost=1.0, link=0.0, save=0):
        params = (profile, model, trace, policy, cap, seqs, mbt, inject,
                  link, save)
        if params in self.index:
            self.rows[self.index[params]]["keys"].append(key)
            return
        self.index[params] = len(self.rows)
        self.rows.append(dict(keys=[key], profile=profile, model=model,
                              trace=trace, policy=policy, cap=cap,
                              seqs=seqs, mbt=mbt, inject=inject, cost=cost,
                              link=link, save=save))


def online(rate, model, count=None):
    return "synthetic:poisson:rate=%g:count=%d:lengths=%s" % (
        rate, count or COUNT[model], LEN[model])


def profile_path(name, outdir):
    """Named profiles as they are; our what-if variants as files."""
    if name in ("a100-40g", "h200", "gh200"):
        return name
    return os.path.join(outdir, "profiles", name + ".json")


def cost(model, policy, rate_rel):
    c = 0.02 if policy not in OFFLOAD else 1.0
    if model == "lwm-7b":
        c *= 3
    return c * (1 + rate_rel)


def build(outdir, quick):
    r = Runs()
    if quick:
        # one tiny figure end to end: Fig 10-12 on a100-40g, 2 rates
        for rate in (0.2, 0.6):
            for pol in BASE4:
                r.add("rate/a100-40g/lwm-7b/%g/%s" % (rate, pol),
                      "a100-40g", "lwm-7b", online(rate, "lwm-7b", 6), pol,
                      cost=cost("lwm-7b", pol, rate))
        return r

    # Figs 10-12 (and 13, 15, 16a where LADDER_AT): online rate sweeps
    for (prof, model), rates in RATES.items():
        cap = 0.0
        pname = prof
        if prof == "h200-40g":
            pname, cap = "h200", CAP40[model]
        for i, rate in enumerate(rates):
            pols = BASE4
            if rate in LADDER_AT.get((prof, model), []):
                pols = LADDER
            for pol in pols:
                r.add("rate/%s/%s/%g/%s" % (prof, model, rate, pol),
                      profile_path(pname, outdir), model,
                      online(rate, model), pol, cap=cap,
                      cost=cost(model, pol, i / len(rates)))

    # Fig 1 and 14a: offline batches (every request at t = 0), batch size
    # capped by sched.max_num_seqs; so-ft (FlashH2D, no batch control) for
    # Fig 1, vllm-so (memcpy) beside it for Fig 14a.
    for prof in ("a100-40g", "h200-40g"):
        pname, cap = (prof, 0.0) if prof == "a100-40g" else ("h200", 24.6)
        trace = "synthetic:poisson:rate=1000:count=24:lengths=longbench-v1-32k"
        for b in (2, 4, 6, 8, 10, 12):
            for pol in ("so-ft", "vllm-so"):
                if pol == "vllm-so" and b not in (4, 6, 8):
                    continue
                r.add("batch/%s/%d/%s" % (prof, b, pol), pname, "lwm-7b",
                      trace, pol, cap=cap, seqs=b, cost=2.0 + b / 4)

    # Fig 14b: one 32k-token LWM-7B prefill (one output token) by save
    # mechanism: so-ft (FlashH2D loads) saving by per-block memcpy, the GPU
    # scatter kernel or FlashD2H (offload.save_mech 1, 3, 2); vllm-s =
    # compute only (no saving). At the default HBM and with the KV space
    # capped at 8 GB, where saves must land before the cache can reuse
    # their slots.
    single = "synthetic:poisson:rate=1:count=1:lengths=fixed:32768:1"
    for prof in ("a100-40g", "h200"):
        for cap in (0.0, 8.0):
            for mech, pol, save in (
                    ("compute", "vllm-s", 0),
                    ("memcpy", "so-ft", 1),
                    ("gpudirect", "so-ft", 3),
                    ("flashd2h", "so-ft", 2)):
                r.add("save/%s/%g/%s" % (prof, cap, mech), prof, "lwm-7b",
                      single, pol, cap=cap, cost=0.3, save=save)

    # Fig 16b: one 32k-token prefill, chunked (so-ft-wc, chunk c) vs
    # layer-segmented (sparseserve, maxInjectToken = c x 32 layers), each
    # normalised to the prefill in one chunk (so-ft-wc, chunk 32768).
    for prof in ("a100-40g", "h200"):
        r.add("chunk/%s/plain" % prof, prof, "lwm-7b", single, "so-ft-wc",
              mbt=32768, cost=0.3)
        for c in (512, 1024, 2048):
            r.add("chunk/%s/%d/chunked" % (prof, c), prof, "lwm-7b", single,
                  "so-ft-wc", mbt=c, cost=0.5)
            r.add("chunk/%s/%d/layer" % (prof, c), prof, "lwm-7b", single,
                  "sparseserve", mbt=c, inject=c * 32, cost=0.5)

    # New: SparseServe's advantage vs HBM size (h200, LWM-7B, 1.5 req/s;
    # 24.6 GB and full HBM are runs of the h200-40g and h200 rate sweeps)
    for cap in (12.0, 24.6, 36.0, 48.0, 0.0):
        for pol in ("vllm", "vllm-s", "vllm-so", "sparseserve"):
            r.add("hbm/%g/%s" % (cap, pol), "h200", "lwm-7b",
                  online(1.5, "lwm-7b"), pol, cap=cap,
                  cost=cost("lwm-7b", pol, 1.0 if cap < 30 else 0.3))

    # New: advantage vs link bandwidth (a100-40g with the link set by the
    # config keys link.h2d_gbps = link.d2h_gbps = G, the bidirectional cap
    # scaled with them and every transfer rate by the series model;
    # LWM-7B at 0.6 req/s, where SparseServe pays on the A100)
    for gbs in LINK_GBS:
        for pol in ("vllm", "sparseserve"):
            r.add("link/%g/%s" % (gbs, pol), "a100-40g", "lwm-7b",
                  online(0.6, "lwm-7b"), pol, link=gbs,
                  cost=cost("lwm-7b", pol, 1.0))
    return r


def main():
    outdir = sys.argv[1]
    quick = "--quick" in sys.argv[2:]
    r = build(outdir, quick)
    rows = sorted(r.rows, key=lambda x: -x["cost"])
    axes = [
        {"name": "trace", "values": [x["trace"] for x in rows]},
        {"name": "model", "values": [x["model"] for x in rows]},
        {"name": "profile", "values": [x["profile"] for x in rows]},
        {"name": "policy", "values": [x["policy"] for x in rows]},
        {"name": "mem.hbm_budget_gb", "values": [x["cap"] for x in rows]},
        {"name": "sched.max_num_seqs", "values": [x["seqs"] for x in rows]},
        {"name": "sched.max_batched_tokens",
         "values": [x["mbt"] for x in rows]},
        {"name": "lp.max_inject", "values": [x["inject"] for x in rows]},
        {"name": "link.h2d_gbps", "values": [x["link"] for x in rows]},
        {"name": "link.d2h_gbps", "values": [x["link"] for x in rows]},
        {"name": "offload.save_mech", "values": [x["save"] for x in rows]},
        {"name": "offload.sample_heads",
         "values": [SAMPLE if x["policy"] in OFFLOAD else 0 for x in rows]},
    ]
    spec = {
        "name": "figures" + ("-quick" if quick else ""),
        "description": "every simulated figure of EXPERIMENTS.md "
                       "(experiments/figures/runs.py)",
        "seed": 1,
        "seed_axes": [],
        "combine": "zip",
        "base": {"trace": rows[0]["trace"], "model": "lwm-7b",
                 "profile": "h200", "policy": "vllm"},
        "axes": axes,
    }
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    with open(os.path.join(outdir, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "keys", "profile", "model", "policy", "cap",
                    "seqs", "mbt", "inject", "sample_heads", "link_gbps",
                    "save_mech", "trace"])
        for i, x in enumerate(rows):
            w.writerow([i, " ".join(x["keys"]), x["profile"], x["model"],
                        x["policy"], x["cap"], x["seqs"], x["mbt"],
                        x["inject"],
                        SAMPLE if x["policy"] in OFFLOAD else 0,
                        x["link"], x["save"], x["trace"]])
    print(len(rows))


if __name__ == "__main__":
    main()
