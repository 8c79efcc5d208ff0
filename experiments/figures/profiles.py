#!/usr/bin/env python3
"""profiles.py - what-if hardware profiles for the figures (issue 8).

    profiles.py OUTDIR

Since the config keys link.h2d_gbps/d2h_gbps/bidir_gbps and
offload.save_mech exist (sim/config.c), the figures no longer use these
files (the link figure and Fig 14b set the keys); they are still written
for comparison with the keys, which apply the same series model in C
(hw_profile_set_link, model/profile.c).

Writes OUTDIR/profiles/*.json, each derived from a shipped JSON profile
(profiles/, docs/profiles.md) by a rule stated in its description and in
every changed field's source:

  a100-40g-link{K}.json   the link K times faster (K = 0.5, 4, 16):
      link.h2d_bw, d2h_bw, bidir_bw x K; every transfer mechanism's rate
      (tables, or the byte rate of a roofline) by the series model
      1/r = 1/r_other + 1/r_link: the link part scales, the rest (per-call
      driver overhead of memcpy, SM or CPU limits) is kept. A mechanism
      given only by per-call and per-item costs is left as it is.
  {a100-40g,h200}-gpudirect.json   FlashD2H replaced by the GPU-kernel
      scatter saver (the entry gpu_scatter_d2h under the name flash_d2h),
      Figure 14b's "GPU-direct saving" before offload.save_mech; under
      the name flash_d2h it is charged FlashD2H's measured contention,
      not the GPU scatter kernel's.
  {a100-40g,h200}-memcpysave.json   FlashD2H replaced by per-block memcpy
      (memcpy_d2h), Figure 14b's "memcpy saving", with FlashH2D loads
      unchanged, so that only the save mechanism differs.
"""
import copy
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
XFER = ("memcpy_h2d", "memcpy_d2h", "memcpy_batch_h2d", "flash_h2d",
        "flash_d2h", "gpu_scatter_d2h", "bulk_h2d", "bulk_d2h")


def load(name):
    with open(os.path.join(ROOT, "profiles", name + ".json")) as f:
        return json.load(f)


def note(field, text):
    if isinstance(field, dict) and "source" in field:
        field["source"] = field["source"] + "; " + text


def series(r, bw, k):
    """Rate r (GB/s) of a mechanism on a link of bw GB/s, moved to a link
    k times as fast: 1/r = 1/r_other + 1/bw, r_other kept."""
    if r <= 0:
        return r
    other = max(1.0 / r - 1.0 / bw, 0.0)
    return 1.0 / (other + 1.0 / (bw * k))


def scale_rows(rows, bw, k):
    if isinstance(rows, list):
        return [scale_rows(x, bw, k) for x in rows]
    return series(rows, bw, k)


def link_variant(base, k):
    p = copy.deepcopy(base)
    tag = ("link x%g: 1/r = 1/r_other + 1/r_link, r_other kept "
           "(experiments/figures/profiles.py)" % k)
    name = "%s-link%g" % (base["name"], k)
    p["name"] = name
    p["kind"] = "what-if"
    p["description"] = (
        "%s with the host link %g times as fast: link bandwidths x%g; every "
        "transfer mechanism's rate by the series model 1/r = 1/r_other + "
        "1/r_link with the non-link part r_other (per-call overhead, SM or "
        "CPU limits) kept (experiments/figures/profiles.py)"
        % (base["name"], k, k))
    link = p["link"]
    bw = {"h2d": link["h2d_bw"]["value"] / 1e9,
          "d2h": link["d2h_bw"]["value"] / 1e9}
    for key in ("h2d_bw", "d2h_bw", "bidir_bw"):
        link[key]["value"] *= k
        note(link[key], "x%g (experiments/figures/profiles.py)" % k)
    for op in XFER:
        o = p["ops"].get(op)
        if o is None:
            continue
        b = bw["d2h" if "d2h" in op else "h2d"]
        if o.get("form") == "table":
            o["rate"] = scale_rows(o["rate"], b, k)
            o["source"] = o.get("source", "") + "; " + tag
        elif isinstance(o.get("bytes_bw"), dict) and \
                o["bytes_bw"]["value"] > 0:
            o["bytes_bw"]["value"] = 1e9 * series(
                o["bytes_bw"]["value"] / 1e9, b, k)
            note(o["bytes_bw"], tag)
    return name, p


def saver_variant(base, tag, op, what):
    """FlashD2H's entry replaced by another save mechanism's (`op`)."""
    p = copy.deepcopy(base)
    name = base["name"] + "-" + tag
    p["name"] = name
    p["kind"] = "what-if"
    p["description"] = ("%s with FlashD2H replaced by %s (Figure 14b; "
                        "experiments/figures/profiles.py)"
                        % (base["name"], what))
    g = copy.deepcopy(p["ops"][op])
    g["source"] = ("%s of %s used as the D2H save mechanism (Figure 14b): "
                   % (op, base["name"]) + g.get("source", ""))
    p["ops"]["flash_d2h"] = g
    return name, p


def main():
    out = os.path.join(sys.argv[1], "profiles")
    os.makedirs(out, exist_ok=True)
    made = []
    a100 = load("a100-40g")
    for k in (0.5, 4, 16):
        made.append(link_variant(a100, k))
    for base in ("a100-40g", "h200"):
        made.append(saver_variant(load(base), "gpudirect", "gpu_scatter_d2h",
                                  "the GPU-kernel scatter saver"))
        made.append(saver_variant(load(base), "memcpysave", "memcpy_d2h",
                                  "one cudaMemcpyAsync per block"))
    for name, p in made:
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(p, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
