#!/usr/bin/env python3
"""record.py TABLE < rows — inserts markdown table rows into
docs/performance.md right after the line '<!-- rows:TABLE -->' (newest
first), so each benchmark run leaves a dated row."""
import os
import sys

table = sys.argv[1]
rows = [r for r in sys.stdin.read().splitlines() if r.strip()]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "performance.md")
with open(path) as f:
    lines = f.read().split("\n")
marker = f"<!-- rows:{table} -->"
try:
    i = lines.index(marker)
except ValueError:
    sys.exit(f"record.py: no marker {marker} in docs/performance.md")
lines[i + 1:i + 1] = rows
with open(path, "w") as f:
    f.write("\n".join(lines))
