#!/usr/bin/env python3
"""project.py - projected run time of a sweep on P workers, from the measured
per-run costs of a finished sweep (the wall_s column of `sparseserve sweep
--csv`). An estimate, not a measurement.

Model: the coordinator hands runs out in run order to the first free worker
(what sweep_drive does), each run takes its measured wall time, plus a
per-run coordinator cost (receive, journal with fdatasync, send) that is
serial across all workers, plus a fixed start-up (process or mpirun launch).

  project.py RESULTS.csv [--overhead-ms 0.15] [--startup-s 1.0] [--scale K]

--scale K repeats the measured costs K times (a K-times larger sweep with the
same cost mix). Prints P, projected time, speed-up over P = 1, efficiency,
and which bound dominates.
"""
import argparse
import csv
import heapq


def makespan(costs, p, overhead):
    """Greedy list scheduling in run order, with a serial coordinator."""
    free = [0.0] * p          # time each worker becomes free
    heapq.heapify(free)
    coord = 0.0               # time the coordinator is free
    end = 0.0
    for c in costs:
        t = heapq.heappop(free)
        start = max(t, coord)         # the coordinator hands the run out
        coord = start + overhead      # and journals the previous result
        done = start + overhead + c
        end = max(end, done)
        heapq.heappush(free, done)
    return end


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--overhead-ms", type=float, default=0.15)
    ap.add_argument("--startup-s", type=float, default=1.0)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--workers", default="1,2,4,8,16,32,64,128,256,512,1024")
    a = ap.parse_args()
    with open(a.csv, newline="") as f:
        costs = [float(r["wall_s"]) for r in csv.DictReader(f)]
    costs = costs * a.scale
    n, tot, cmax = len(costs), sum(costs), max(costs)
    o = a.overhead_ms / 1000
    print(f"# {n} runs, {tot:.1f} s of runs, mean {tot / n:.3f} s, "
          f"max {cmax:.3f} s; overhead {a.overhead_ms} ms/run, "
          f"start-up {a.startup_s} s (estimates)")
    print(f"{'P':>6} {'time_s':>9} {'speedup':>8} {'eff':>5}  bound")
    t1 = makespan(costs, 1, o) + a.startup_s
    for p in [int(x) for x in a.workers.split(",")]:
        t = makespan(costs, p, o) + a.startup_s
        if n * o >= tot / p:
            bound = "coordinator"
        elif cmax >= tot / p:
            bound = "longest run"
        elif a.startup_s >= tot / p:
            bound = "start-up"
        else:
            bound = "work"
        print(f"{p:>6} {t:>9.2f} {t1 / t:>8.2f} {t1 / t / p:>5.2f}  {bound}")


if __name__ == "__main__":
    main()
