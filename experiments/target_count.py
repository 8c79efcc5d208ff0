#!/usr/bin/env python3
"""target_count.py - how many mean metrics of a sim-vs-live table are within
issue #7's targets (TTFT mean 10%, TBT mean 5%, throughput 5%, blocks loaded
2%; rows with no error, e.g. both zero or a run stopped early, are skipped).

    target_count.py TABLE.csv [TABLE.csv ...]

Reads experiments/results/validation-h200.csv and live-points-h200.csv
alike (columns metric and err_pct)."""
import csv
import sys

TARGET = {"ttft_mean_s": 10, "tbt_mean_s": 5, "throughput_tok_s": 5,
          "blocks_loaded": 2}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        met = total = 0
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                lim = TARGET.get(r["metric"])
                if lim is None or r["err_pct"] in ("", None):
                    continue
                total += 1
                met += abs(float(r["err_pct"])) <= lim
        print("%s: %d of %d within the targets" % (path, met, total))


if __name__ == "__main__":
    main()
