#!/usr/bin/env python3
"""extract.py - figure data and number tables from the figures sweep.

    extract.py OUTDIR [--quick]

Reads OUTDIR/runs.csv (experiments/figures/runs.py), OUTDIR/sweep.csv
(`sparseserve sweep --csv`), OUTDIR/data/overlap.csv (overlap.c) and the
committed H200 kernel measurements (kernels/results/h200/summary.csv) and
the a100-40g profile (the paper's Figure 4 numbers); writes the plain
whitespace-separated data files the gnuplot scripts read (OUTDIR/data/)
and OUTDIR/numbers.md, the tables EXPERIMENTS.md quotes.
"""
import csv
import json
import math
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NAN = float("nan")
LADDER = ["vllm", "vllm-s", "vllm-so", "so-ft", "so-ft-wc", "sparseserve"]
STEP = {"vllm": "vLLM", "vllm-s": "+SA", "vllm-so": "+Offload",
        "so-ft": "+FT", "so-ft-wc": "+WC", "sparseserve": "+LP"}


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return NAN


def fmt(x, nd=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    if isinstance(x, str):
        return x
    return ("%." + str(nd) + "g") % x


def load(outdir):
    runs = {}
    with open(os.path.join(outdir, "runs.csv")) as f:
        for r in csv.DictReader(f):
            runs[int(r["run"])] = r["keys"].split()
    res = {}
    with open(os.path.join(outdir, "sweep.csv")) as f:
        for r in csv.DictReader(f):
            m = {k: num(v) for k, v in r.items()}
            m["error"] = r.get("error", "")
            m["status"] = num(r["status"])
            for key in runs[int(r["run"])]:
                res[key] = m
    return res


def get(res, key, metric):
    m = res.get(key)
    if m is None or m["status"] != 0:
        return NAN
    return m[metric]


def write(path, header, rows):
    with open(path, "w") as f:
        f.write("# " + " ".join(header) + "\n")
        for row in rows:
            f.write(" ".join(fmt(x, 6) for x in row) + "\n")


def settings(res, prefix):
    """(profile, model) -> {rate: {policy: key}} of keys under prefix/."""
    out = {}
    for key in res:
        p = key.split("/")
        if p[0] != prefix:
            continue
        out.setdefault((p[1], p[2]), {}).setdefault(float(p[3]), {})[
            p[4]] = key
    return out


def rate_figs(res, data, md):
    st = settings(res, "rate")
    for (prof, model), byrate in sorted(st.items()):
        rates = sorted(byrate)
        pols = [p for p in LADDER if any(p in byrate[r] for r in rates)]
        for pol in pols:
            rows = []
            for r in rates:
                k = byrate[r].get(pol)
                if not k:
                    continue
                g = lambda m: get(res, k, m)
                rows.append([r, g("ttft_mean_s"), g("throughput_tok_s"),
                             1000 * g("tbt_mean_s"), g("loads_per_iter"),
                             g("goodput_req_s"), g("slo_met"),
                             g("hbm_hit_ratio"), 1000 * g("tbt_p99_s"),
                             g("held_back"), g("preemptions")])
            write(os.path.join(data, "rate_%s_%s_%s.dat" % (prof, model, pol)),
                  ["rate", "ttft_mean_s", "tput_tok_s", "tbt_mean_ms",
                   "loads_per_iter", "goodput_req_s", "slo_met", "hit_ratio",
                   "tbt_p99_ms", "held_back", "preemptions"], rows)
        md.append("\n### %s, %s: mean TTFT s / throughput tok/s / mean TBT "
                  "ms (Figs 10-12)\n" % (prof, model))
        md.append("| rate | " + " | ".join(pols) + " | TTFT vllm/ss | "
                  "tput ss/vllm | TBT ss/vllm |")
        md.append("|---" * (len(pols) + 4) + "|")
        for r in rates:
            cells = []
            for pol in pols:
                k = byrate[r].get(pol)
                cells.append("%s / %s / %s" % (
                    fmt(get(res, k, "ttft_mean_s")),
                    fmt(get(res, k, "throughput_tok_s")),
                    fmt(1000 * get(res, k, "tbt_mean_s"))) if k else "")
            kv, ks = byrate[r].get("vllm"), byrate[r].get("sparseserve")
            ratio = lambda m, a, b: get(res, a, m) / get(res, b, m) if (
                a and b) else NAN
            md.append("| %g | %s | %s | %s | %s |" % (
                r, " | ".join(cells),
                fmt(ratio("ttft_mean_s", kv, ks)),
                fmt(ratio("throughput_tok_s", ks, kv)),
                fmt(ratio("tbt_mean_s", ks, kv))))
        # Fig 13: goodput ladder where every ladder policy ran
        if all(p in pols for p in LADDER):
            gp = []
            md.append("\n#### %s, %s: goodput ladder (Fig 13)\n" % (prof, model))
            md.append("| step | policy | max rate meeting the SLO | x previous"
                      " | goodput req/s at %g | x previous |" % rates[-1])
            md.append("|---|---|---|---|---|---|")
            prev_m = prev_g = NAN
            for i, pol in enumerate(LADDER):
                best = 0.0
                for r in rates:
                    k = byrate[r].get(pol)
                    if k and get(res, k, "slo_met") == 1:
                        best = r
                top = get(res, byrate[rates[-1]].get(pol), "goodput_req_s")
                gp.append([i, best, top])
                md.append("| %s | %s | %s%s | %s | %s | %s |" % (
                    STEP[pol], pol, "%g" % best,
                    " (top of grid)" if best == rates[-1] else "",
                    fmt(best / prev_m) if i and prev_m > 0 else "",
                    fmt(top), fmt(top / prev_g) if i and prev_g > 0 else ""))
                prev_m, prev_g = best, top
            write(os.path.join(data, "goodput_%s_%s.dat" % (prof, model)),
                  ["step", "max_rate_slo", "goodput_top"], gp)


def batch_figs(res, data, md):
    by = {}
    for key in res:
        p = key.split("/")
        if p[0] == "batch":
            by.setdefault(p[1], {}).setdefault(p[3], {})[int(p[2])] = key
    for prof, bypol in sorted(by.items()):
        md.append("\n### %s, LWM-7B offline batches (Figs 1, 14a)\n" % prof)
        md.append("| policy | batch | throughput tok/s | loads/iter | load "
                  "share of GPU time | load wait s |")
        md.append("|---|---|---|---|---|---|")
        for pol, byb in sorted(bypol.items()):
            rows = []
            for b in sorted(byb):
                k = byb[b]
                busy = get(res, k, "gpu_busy_s")
                lw = get(res, k, "load_wait_s")
                rows.append([b, get(res, k, "throughput_tok_s"),
                             get(res, k, "loads_per_iter"), lw / busy, lw,
                             busy, get(res, k, "hbm_hit_ratio"),
                             get(res, k, "iterations")])
                md.append("| %s | %d | %s | %s | %s | %s |" % (
                    pol, b, fmt(rows[-1][1]), fmt(rows[-1][2]),
                    fmt(rows[-1][3]), fmt(lw)))
            write(os.path.join(data, "batch_%s_%s.dat" % (prof, pol)),
                  ["batch", "tput_tok_s", "loads_per_iter", "load_share",
                   "load_wait_s", "gpu_busy_s", "hit_ratio", "iterations"],
                  rows)


def save_figs(res, data, md):
    profs = sorted({k.split("/")[1] for k in res if k.startswith("save/")})
    for prof in profs:
        rows = []
        md.append("\n### %s: one 32k LWM-7B prefill by save mechanism, "
                  "normalised to compute only (Fig 14b)\n" % prof)
        md.append("| mechanism | default HBM | KV capped at 8 GB |")
        md.append("|---|---|---|")
        for i, mech in enumerate(("memcpy", "gpudirect", "flashd2h")):
            vals = []
            for cap in ("0", "8"):
                # compute only at the default HBM: a 32k LWM-7B prompt
                # does not fit 8 GB without offloading (vllm-s rejects it)
                base = get(res, "save/%s/0/compute" % prof, "ttft_mean_s")
                vals.append(get(res, "save/%s/%s/%s" % (prof, cap, mech),
                                "ttft_mean_s") / base)
            rows.append([i, mech] + vals)
            md.append("| %s | %s | %s |" % (mech, fmt(vals[0]),
                                             fmt(vals[1])))
        write(os.path.join(data, "save_%s.dat" % prof),
              ["i", "mechanism", "norm_default", "norm_cap8"], rows)


def chunk_figs(res, data, md):
    profs = sorted({k.split("/")[1] for k in res if k.startswith("chunk/")})
    for prof in profs:
        base = get(res, "chunk/%s/plain" % prof, "ttft_mean_s")
        rows = []
        md.append("\n### %s: one 32k LWM-7B prefill, chunked vs "
                  "layer-segmented, normalised to one chunk (Fig 16b)\n"
                  % prof)
        md.append("| chunk | chunked | layer-segmented |")
        md.append("|---|---|---|")
        for c in (512, 1024, 2048):
            a = get(res, "chunk/%s/%d/chunked" % (prof, c), "ttft_mean_s")
            b = get(res, "chunk/%s/%d/layer" % (prof, c), "ttft_mean_s")
            rows.append([c, a / base, b / base])
            md.append("| %d | %s | %s |" % (c, fmt(a / base), fmt(b / base)))
        write(os.path.join(data, "chunk_%s.dat" % prof),
              ["chunk", "chunked_norm", "layer_norm"], rows)


def hbm_fig(res, data, md):
    caps = sorted({float(k.split("/")[1]) for k in res
                   if k.startswith("hbm/")}, key=lambda c: c or 1e9)
    if not caps:
        return
    rows = []
    md.append("\n### h200, LWM-7B, 1.5 req/s: advantage vs KV space "
              "(new figure)\n")
    md.append("| KV cap GB | KV GB | TTFT vllm | vllm-s | vllm-so | "
              "sparseserve | TTFT vllm/ss | TTFT vllm-so/ss | tput ss/vllm |")
    md.append("|---" * 9 + "|")
    for cap in caps:
        k = lambda p: "hbm/%g/%s" % (cap, p)
        t = {p: get(res, k(p), "ttft_mean_s") for p in
             ("vllm", "vllm-s", "vllm-so", "sparseserve")}
        thr = {p: get(res, k(p), "throughput_tok_s") for p in t}
        kvgb = get(res, k("vllm"), "kv_capacity_gb")
        row = [kvgb, t["vllm"] / t["sparseserve"],
               t["vllm-so"] / t["sparseserve"],
               thr["sparseserve"] / thr["vllm"],
               thr["sparseserve"] / thr["vllm-so"],
               t["vllm-s"] / t["sparseserve"]]
        rows.append(row)
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            fmt(cap) if cap else "full", fmt(kvgb), fmt(t["vllm"]),
            fmt(t["vllm-s"]), fmt(t["vllm-so"]), fmt(t["sparseserve"]),
            fmt(row[1]), fmt(row[2]), fmt(row[3])))
    write(os.path.join(data, "hbm.dat"),
          ["kv_gb", "ttft_vllm_over_ss", "ttft_vllmso_over_ss",
           "tput_ss_over_vllm", "tput_ss_over_vllmso", "ttft_vllms_over_ss"],
          rows)


def link_fig(res, data, md):
    gs = sorted({float(k.split("/")[1]) for k in res if k.startswith("link/")})
    if not gs:
        return
    rows = []
    md.append("\n### a100-40g, LWM-7B, 0.6 req/s: advantage vs link "
              "bandwidth (link.h2d_gbps = link.d2h_gbps; new figure)\n")
    md.append("| link GB/s each way | TTFT vllm s | TTFT sparseserve s | "
              "TTFT vllm/ss | tput vllm tok/s | tput ss tok/s | "
              "tput ss/vllm |")
    md.append("|---" * 7 + "|")
    for g in gs:
        key = lambda p: "link/%g/%s" % (g, p)
        t = {p: get(res, key(p), "ttft_mean_s") for p in ("vllm", "sparseserve")}
        thr = {p: get(res, key(p), "throughput_tok_s") for p in t}
        row = [g, t["vllm"] / t["sparseserve"],
               thr["sparseserve"] / thr["vllm"]]
        rows.append(row)
        md.append("| %g | %s | %s | %s | %s | %s | %s |" % (
            g, fmt(t["vllm"]), fmt(t["sparseserve"]), fmt(row[1]),
            fmt(thr["vllm"]), fmt(thr["sparseserve"]), fmt(row[2])))
    write(os.path.join(data, "link.dat"),
          ["link_gbs", "ttft_vllm_over_ss", "tput_ss_over_vllm"], rows)


def bandwidth_figs(data, md):
    """Fig 4a/4b: H200 measured (kernels/results/h200/summary.csv) and the
    paper's A100 numbers as the a100-40g profile encodes them."""
    meas = {}
    with open(os.path.join(ROOT, "kernels", "results", "h200",
                           "summary.csv")) as f:
        for r in csv.DictReader(f):
            meas[(r["kernel"], r["case"])] = num(r["value"])
    # the paper's A100 numbers (reference section 4-5): bounds stated for
    # 4-32-token blocks only: FlashH2D > 20, memcpy < 5 (< 4 at 16 KB);
    # FlashD2H > 23, memcpy < 6 GB/s
    paper = {"flash_h2d": 20.0, "memcpy_h2d": 5.0, "flash_d2h": 23.0,
             "memcpy_d2h": 6.0}

    def tab(op, nbytes):
        return paper[op] if nbytes <= 32 * 512 else NAN

    h2d, d2h = [], []
    for tok in (4, 8, 16, 32, 64, 128):
        b = tok * 512  # bytes of one block-head, K+V, head_dim 128, bf16
        h2d.append([tok, b,
                    meas.get(("flash_h2d", "frag=%d,sms=16" % b), NAN),
                    meas.get(("memcpy_h2d", "frag=%d" % b), NAN),
                    meas.get(("memcpy_batch_h2d", "frag=%d" % b), NAN),
                    tab("flash_h2d", b), tab("memcpy_h2d", b)])
        d2h.append([tok, b, meas.get(("memcpy_d2h", "frag=%d" % b), NAN),
                    tab("flash_d2h", b), tab("memcpy_d2h", b)])
    write(os.path.join(data, "bw_h2d.dat"),
          ["block_tokens", "bytes", "h200_flash_h2d", "h200_memcpy",
           "h200_memcpy_batch", "a100_paper_flash_h2d",
           "a100_paper_memcpy"], h2d)
    write(os.path.join(data, "bw_d2h.dat"),
          ["block_tokens", "bytes", "h200_memcpy_d2h",
           "a100_paper_flash_d2h", "a100_paper_memcpy_d2h"], d2h)
    # FlashD2H is measured at one shape (4,096 tokens x 8 heads x 32
    # layers, 16 KiB blocks) by CPU scatter threads, GPU scatter alone
    fd = [[t, meas.get(("flash_d2h", "tokens=4096,heads=8,layers=32,threads=%d"
                        ",stages=3" % t), NAN)] for t in (1, 2, 4, 8, 12, 16)]
    write(os.path.join(data, "bw_flashd2h_threads.dat"),
          ["cpu_threads", "h200_flash_d2h_gbs"], fd)
    gd = meas.get(("flash_d2h",
                   "mode=gpu_direct,tokens=4096,heads=8,layers=32,sms=16"), NAN)
    with open(os.path.join(data, "bw_scalars.gp"), "w") as f:
        f.write("h200_gpudirect_d2h = %s\nh200_flash_d2h_8 = %s\n"
                "h200_flash_d2h_12 = %s\nh200_bulk_h2d = %s\n"
                "h200_bulk_d2h = %s\n" % (
                    fmt(gd, 6), fmt(fd[3][1], 6), fmt(fd[4][1], 6),
                    fmt(meas.get(("limit", "bulk_h2d_pinned,bytes=1GiB")), 6),
                    fmt(meas.get(("limit", "bulk_d2h_pinned,bytes=1GiB")), 6)))
    md.append("\n### Fig 4a: H2D GB/s by block size (H200 measured; paper "
              "A100)\n")
    md.append("| block tokens | bytes | H200 FlashH2D | H200 memcpy | H200 "
              "memcpy batch | paper A100 FlashH2D | paper A100 memcpy |")
    md.append("|---" * 7 + "|")
    for r in h2d:
        md.append("| " + " | ".join(fmt(x) for x in r) + " |")
    md.append("\n### Fig 4b: D2H GB/s (H200 measured; paper A100)\n")
    md.append("| block tokens | bytes | H200 memcpy | paper A100 FlashD2H |"
              " paper A100 memcpy |")
    md.append("|---" * 5 + "|")
    for r in d2h:
        md.append("| " + " | ".join(fmt(x) for x in r) + " |")
    md.append("\nH200 FlashD2H (16 KiB blocks, 4,096 tokens x 8 heads x 32 "
              "layers) by CPU scatter threads: " + ", ".join(
                  "%d: %s" % (t, fmt(v)) for t, v in fd) +
              " GB/s; GPU-direct scatter (16 SMs): %s GB/s." % fmt(gd))


def overlap_fig(data, md):
    path = os.path.join(data, "overlap.csv")
    if not os.path.exists(path):
        return
    rows = list(csv.DictReader(open(path)))
    ov = {int(r["w"]): float(r["measured"]) for r in rows}
    md.append("\n### Fig 8: overlap vs window (locality model)\n")
    md.append("| w | 1 | 2 | 4 | 8 | 12 | 16 | gain 1->12 | gain 12->16 |")
    md.append("|---" * 9 + "|")
    md.append("| measured | " + " | ".join(
        "%.4f" % ov[w] for w in (1, 2, 4, 8, 12, 16)) +
        " | %+.2f pts | %+.2f pts |" % (100 * (ov[12] - ov[1]),
                                        100 * (ov[16] - ov[12])))


def main():
    outdir = sys.argv[1]
    quick = "--quick" in sys.argv[2:]
    data = os.path.join(outdir, "data")
    os.makedirs(data, exist_ok=True)
    res = load(outdir)
    failed = [k for k, m in res.items() if m["status"] != 0]
    md = ["# Figure numbers (generated by experiments/figures/extract.py)"]
    if failed:
        md.append("\nFailed runs: " + ", ".join(sorted(failed)))
    rate_figs(res, data, md)
    if not quick:
        batch_figs(res, data, md)
        save_figs(res, data, md)
        chunk_figs(res, data, md)
        hbm_fig(res, data, md)
        link_fig(res, data, md)
        bandwidth_figs(data, md)
        overlap_fig(data, md)
    with open(os.path.join(outdir, "numbers.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    if failed:
        sys.stderr.write("extract: %d failed runs: %s\n" % (
            len(failed), " ".join(sorted(failed))))


if __name__ == "__main__":
    main()
