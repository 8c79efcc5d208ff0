#!/usr/bin/env python3
"""load_layer_cost.py - the executor's GPU work per layer that loads blocks
under offload, outside the loads' wait (issue #7; the profile key
off_load_layer_ns, experiments/results/validation-h200.md "Session 16").

    load_layer_cost.py [--batch N] LIVE.h5 [LIVE.h5 ...]

For each live result file (`sparseserve live --out`): its decode-only
iterations of batch N (default 1), grouped by the layers that loaded
blocks (column load_layers: 0, 1-4, 5-16, 17-31, 32), with the median GPU
window, the median loads' wait (load_s), the median window less that wait,
and the mean block-heads loaded. A window less the wait that grows with the
loading layers is work of theirs the wait does not contain. Needs h5py and
numpy.
"""
import sys

import numpy as np

from iteration_errors import iterations  # the file's one policy's table

GROUPS = [(0, 0), (1, 4), (5, 16), (17, 31), (32, 32)]


def main():
    args = sys.argv[1:]
    batch = 1
    if args[:1] == ["--batch"] and len(args) > 1:
        batch, args = int(args[1]), args[2:]
    if not args:
        sys.exit(__doc__)
    for path in args:
        pol, it = iterations(path)
        if "load_layers" not in it.dtype.names:
            print("%s (%s): no load_layers column" % (path, pol))
            continue
        sel = it[(it["prefill_tokens"] == 0) & (it["lp_layers"] == 0) &
                 (it["decode_seqs"] == batch)]
        print("%s (%s): %d decode-only iterations of batch %d" %
              (path, pol, len(sel), batch))
        print("  loading layers   n   GPU ms  wait ms  GPU-wait ms  "
              "block-heads")
        for lo, hi in GROUPS:
            g = sel[(sel["load_layers"] >= lo) & (sel["load_layers"] <= hi)]
            if len(g) < 3:
                continue
            print("  %5d-%-5d %7d %8.3f %8.3f %12.3f %12.0f" %
                  (lo, hi, len(g), 1e3 * np.median(g["gpu_s"]),
                   1e3 * np.median(g["load_s"]),
                   1e3 * np.median(g["gpu_s"] - g["load_s"]),
                   g["blocks_loaded"].mean()))


if __name__ == "__main__":
    main()
