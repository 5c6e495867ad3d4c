"""Reads the timeline latency_proxy.py wrote and tells where a scan's schedule left the
concurrency limit unused: the utilisation (request-seconds in flight over span x limit)
and the longest stretches with fewer than a quarter of the limit in flight, with the
requests in flight then (the chain of dependent calls that held the scan).

Usage: schedule_report.py STATS_FILE LIMIT
"""

import json
import sys

stats = json.load(open(sys.argv[1]))
limit = int(sys.argv[2])
spans = [(s, e if e is not None else s, w) for s, e, w in stats["timeline"]]
if not spans:
    sys.exit(0)
start, end = min(s for s, _, _ in spans), max(e for _, e, _ in spans)
busy = sum(e - s for s, e, _ in spans)
print(f"schedule: {len(spans)} requests over {end - start:.2f} s; "
      f"utilisation {busy / ((end - start) * limit):.0%} of {limit} slots")
events = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans])
low, level, since = [], 0, start
for t, d in events:
    if level < limit / 4 and t > since:
        low.append((t - since, since, t))
    level += d
    since = t
# Merge adjacent low stretches.
low.sort(key=lambda x: x[1])
merged = []
for length, a, b in low:
    if merged and a - merged[-1][1] < 0.005:
        merged[-1] = (merged[-1][0], b)
    else:
        merged.append((a, b))
merged.sort(key=lambda x: x[0] - x[1])
total = sum(b - a for a, b in merged)
print(f"under a quarter of the limit in flight for {total:.2f} s; longest stretches:")
for a, b in merged[:6]:
    inflight = sorted({w for s, e, w in spans if s < b and e > a})
    print(f"  {a:6.2f}-{b:6.2f} s ({b - a:.2f} s): " + "; ".join(inflight[:4])
          + (f" (+{len(inflight) - 4})" if len(inflight) > 4 else ""))
