#!/usr/bin/env python3
"""Sum the TAP results of meson test logs into one line.

Usage: run.py build/meson-logs/testlog.json [more logs...]
Prints failing and skipped cases, then a final plain line
    N passed, N failed, N skipped
and exits 1 when anything failed or a log is missing.
"""
import json
import re
import sys

passed = failed = skipped = 0
bad = []
skips = []
for log in sys.argv[1:]:
    if log.startswith("BUILD-FAILED:"):
        failed += 1
        bad.append(f"{log[13:]} build failed")
        continue
    try:
        lines = open(log, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"run.py: cannot read {log}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        name = t.get("name", "?")
        out = t.get("stdout") or ""
        plan = None
        seen = 0
        case_fail = 0
        for l in out.splitlines():
            m = re.match(r"^1\.\.(\d+)", l)
            if m:
                plan = int(m.group(1))
                continue
            m = re.match(r"^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$", l)
            if not m:
                continue
            seen += 1
            desc = m.group(2)
            if m.group(1) == "not ok":
                failed += 1
                case_fail += 1
                bad.append(f"{log}: {name}: {desc}")
            elif re.search(r"#\s*SKIP", desc, re.I):
                if "not selected" not in desc:
                    skipped += 1
                    skips.append(f"{name}: {desc}")
            else:
                passed += 1
        if plan is None or seen < plan:
            missing = (plan or 1) - seen
            failed += missing
            bad.append(f"{log}: {name}: {missing} case(s) never reported "
                       f"(result {t.get('result')})")
        elif t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and case_fail == 0:
            failed += 1
            bad.append(f"{log}: {name}: program result {t.get('result')}")
for s in skips:
    print(f"skipped: {s}")
for b in bad:
    print(f"FAILED: {b}")
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or not sys.argv[1:] else 0)
