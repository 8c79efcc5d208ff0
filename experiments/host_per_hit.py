#!/usr/bin/env python3
"""host_per_hit.py - the live executor's host cost per block-head, per run.

    host_per_hit.py RUN.h5 [RUN.h5...]

For each live result file (sparseserve live --out), the decode-only
iterations, least squares of the host issue time per layer
(iterations.host_s / layers) on: 1, block-head hits per layer, misses
(blocks loaded) per layer and blocks saved per layer. Prints the
coefficients (us) and the run's means. Needs h5py and numpy.
"""
import sys

import h5py
import numpy as np


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: host_per_hit.py RUN.h5 [RUN.h5...]")
    for fn in sys.argv[1:]:
        with h5py.File(fn, "r") as f:
            pol = list(f.keys())[0]
            d = f[pol + "/iterations"][:]
            # the DSA layers, from an iteration that selected (none does
            # when every context fits the budget: no layer count then)
            layers = int(d["sparse_layers"].max())
        if not layers:
            print("%s: no iteration ran the selection, layers unknown" % fn)
            continue
        # decode-only iterations (sparse_layers is 0 in those whose rows
        # all fit the budget: no selection, the look-ups all the same)
        d = d[(d["prefill_tokens"] == 0) & (d["decode_seqs"] > 0)]
        if len(d) < 8:
            print("%s: %d decode iterations, too few" % (fn, len(d)))
            continue
        y = d["host_s"] / layers * 1e6
        x = np.c_[np.ones(len(y)), d["hits"] / layers,
                  d["blocks_loaded"] / layers, d["blocks_saved"] / layers]
        c, *_ = np.linalg.lstsq(x, y, rcond=None)
        mape = 100 * np.mean(np.abs(x @ c - y) / y)
        print("%s (%s): %d iterations; per layer %.1f us + %.4f us/hit + "
              "%.3f us/miss + %.3f us/saved block (MAPE %.1f%%); means: "
              "%.0f hits, %.0f misses per layer, batch %.1f, host %.0f us, "
              "GPU %.0f us per layer" % (
                  fn, pol, len(y), c[0], c[1], c[2], c[3], mape,
                  x[:, 1].mean(), x[:, 2].mean(), d["batch"].mean(),
                  y.mean(), (d["gpu_s"] / layers * 1e6).mean()))


if __name__ == "__main__":
    main()
