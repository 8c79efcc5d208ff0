#!/usr/bin/env python3
"""prefill_split_model.py - a list-scheduling model of causal prefill
attention's CTAs on the H200, the estimate behind kernels/prefill_attn's
variant 6 (docs/model-kernels.md).

Work item = one CTA of 128 query rows of one head, costed in 64-key tiles
(a tile of 128 queries x 64 keys). Each SM holds two CTAs (97 KiB of
shared memory each); a CTA costs 2.16 us per key tile when it shares its
SM and 1.50 us alone (the prefill "waves" fit of the H200 calibration:
33.72 and 23.47 ns per key, calibrate/results/h200). The hardware block
scheduler hands out CTAs in grid order as slots free up. An estimate, not
a measurement: it put variant 4 on the Llama-3.1-70B TP-8 share at 4k at
36% of the GEMM rate where the H200 measured 32.5%.

usage: prefill_split_model.py [heads] [tokens]     (default: 8 4096)
"""
import math
import sys

PAIR_US, SOLO_US, SMS, GEMM_TFLOPS = 2.16, 1.50, 132, 808.0


def items(heads, tiles, split):
    """Key tiles per CTA in launch order (heads fastest)."""
    whole, halves = [], []
    for qt in range(tiles):
        n = 2 * (qt + 1)
        if split and n > tiles:   # longer than half the longest: halve
            halves += [n // 2, n - n // 2]
        else:
            whole.append(n)
    if split:                     # variant 6: longest first
        order = sorted(whole + halves, reverse=True)
    else:                         # variants 4/5: tiles longest first
        order = sorted(whole, reverse=True)
    return [n for n in order for _ in range(heads)]


def makespan(work):
    queue = list(work)
    sm = [[] for _ in range(SMS)]
    for _ in range(2):
        for s in range(SMS):
            if queue:
                sm[s].append(float(queue.pop(0)))
    t = 0.0
    while any(sm):
        rate = [1 / (PAIR_US if len(x) == 2 else SOLO_US) for x in sm]
        dt = min(min(x) / rate[s] for s, x in enumerate(sm) if x)
        t += dt
        for s, x in enumerate(sm):
            left = [w - dt * rate[s] for w in x]
            done = sum(1 for w in left if w <= 1e-9)
            sm[s] = [w for w in left if w > 1e-9]
            for _ in range(done):
                if queue:
                    sm[s].append(float(queue.pop(0)))
    return t


def main():
    heads = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    tiles = math.ceil(tokens / 128)
    flop = 4 * 128 * heads * tokens * (tokens + 1) / 2
    for split in (0, 1):
        us = makespan(items(heads, tiles, split))
        print("%s: %.1f us, %.1f%% of the GEMM rate (estimate)" %
              ("variant 6 (split)" if split else "variant 4", us,
               100 * flop / (us * 1e-6) / 1e12 / GEMM_TFLOPS))


if __name__ == "__main__":
    main()
