#!/usr/bin/env python3
"""phases.py - the decode attention's Nsight Compute warp samples by phase
(this folder's README, "Where batch 1's time goes now"), from call 6's
per-instruction SASS export:

    python3 kernels/results/h200/session17-2026-11-30/phases.py \\
        kernels/results/h200/session17-2026-11-30/call6/ncu-sass.csv.xz

The phases are ranges of SASS instruction indices of that kernel build
(e828c6b), found by reading its SASS: the first shuffle of a slot (215),
the first wait for the blocks (the instruction after the DEPBAR at 1279),
the first cluster barrier's MEMBAR (2884) to its wait (2891), the last
barrier's arrive (3490). Another build needs its own ranges.
"""
import csv
import lzma
import sys

PHASES = [
    ("start, the slot table and list lengths", 0, 216),
    ("the K/V loads' issue", 216, 1280),
    ("the first wait for the blocks", 1280, 1281),
    ("two blocks' QK, softmax and PV a warp, the warps' merge", 1281, 2880),
    ("first cluster barrier", 2880, 2892),
    ("the merge's remote reads and the outputs", 2892, 3490),
    ("the last cluster barrier", 3490, 3500),
]


def kernels(path):
    """(kernel name, rows) for each kernel of the export"""
    out, cur = [], None
    with lzma.open(path, "rt") as f:
        for row in csv.reader(f):
            if not row:
                continue
            if row[0] == "Kernel Name":
                cur = (row[1], [])
                out.append(cur)
            elif row[0] != "Address" and cur is not None and len(row) > 3:
                cur[1].append(row)
    return out


def main(path):
    for name, rows in kernels(path):
        if "decode_attn_cpa_kernel" not in name:
            continue
        total = sum(int(r[2]) for r in rows)
        print("%s: %d instructions, %d warp samples" %
              (name[:60], len(rows), total))
        for label, a, b in PHASES:
            s = sum(int(r[2]) for r in rows[a:b])
            print("  %-58s %5.1f%%" % (label, 100.0 * s / total))
        for i, r in enumerate(rows):
            op = r[1].strip()
            if op.startswith(("MEMBAR", "ERRBAR", "UCGABAR_WAIT")):
                print("    %4d %-24s %5.1f%%" %
                      (i, op[:24], 100.0 * int(r[2]) / total))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: phases.py call6/ncu-sass.csv.xz")
    main(sys.argv[1])
