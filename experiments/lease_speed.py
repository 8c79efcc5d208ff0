#!/usr/bin/env python3
"""lease_speed.py - how fast the GPU machine of a live run was against the
simulator's profile: the ratio of the live run's decode iteration times to
the simulated ones of the same trace, in the iterations where neither side
moved KV (issue #7; experiments/results/validation-h200.md "Session 15").

    lease_speed.py LIVE.h5 SIM.h5 [LIVE.h5 SIM.h5 ...]

For each pair (`sparseserve live --out` and `sparseserve sim --out` of the
same trace, model, policy and seed): the decode-only iterations that loaded
no block (no prefill, blocks_loaded 0; the live run's first of them, cold, left
out),
grouped by their decode batch; in every batch size with at least MIN_ITERS
iterations on both sides, the median live time over the median simulated
time; the factor is the mean of those ratios weighted by the live
iterations. A factor k says the live machine ran these iterations k times
as long as the profile predicts: `sparseserve sim --set cost.gpu_scale=k`
simulates that machine (the iterations are GPU-bound: thread_times.py).
Prints one line a pair: the factor, the iterations and batch sizes used,
and the range of the per-batch ratios. Needs h5py and numpy.
"""
import sys

import numpy as np

from iteration_errors import iterations  # the file's one policy's table

MIN_ITERS = 10


def quiet_decodes(path, skip_first):
    """decode batch and duration (s) of the decode-only, load-free
    iterations of the file's one policy"""
    it = iterations(path)[1]
    keep = (it["prefill_tokens"] == 0) & (it["blocks_loaded"] == 0) & \
        (it["decode_seqs"] > 0)
    if skip_first:
        first = np.flatnonzero(keep)
        if first.size:
            keep[first[0]] = False  # the first such iteration: cold
    return it["decode_seqs"][keep], it["dur_s"][keep]


def factor(live, sim):
    lb, ld = quiet_decodes(live, True)
    sb, sd = quiet_decodes(sim, False)
    ratios, weights = [], []
    for b in np.unique(lb):
        lm, sm = lb == b, sb == b
        if lm.sum() < MIN_ITERS or sm.sum() < MIN_ITERS:
            continue
        ratios.append(np.median(ld[lm]) / np.median(sd[sm]))
        weights.append(lm.sum())
    if not ratios:
        return None
    r, w = np.array(ratios), np.array(weights, dtype=float)
    return (float((r * w).sum() / w.sum()), int(w.sum()), len(r),
            float(r.min()), float(r.max()))


def main(args):
    if not args or len(args) % 2:
        sys.exit(__doc__.strip().split("\n\n")[1])
    print("%-44s %8s %6s %7s %13s" % ("live run", "factor", "iters",
                                       "batches", "ratio range"))
    for live, sim in zip(args[::2], args[1::2]):
        k = factor(live, sim)
        if k is None:
            print("%-44s %8s (fewer than %d load-free decode iterations "
                  "of one batch size on both sides)" % (live, "-",
                                                         MIN_ITERS))
            continue
        print("%-44s %8.4f %6d %7d %6.3f-%6.3f" % ((live,) + k))


if __name__ == "__main__":
    main(sys.argv[1:])
