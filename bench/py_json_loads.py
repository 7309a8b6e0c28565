#!/usr/bin/env python3
"""py_json_loads.py FILE: the NDJSON reader baseline (json.loads per line).

The JSON and NDJSON readers must be at least as fast as this, measured in
the same run:

    gcc -O2 -o /tmp/gen shared/bench/gen.c
    /tmp/gen ndjson 500000 > /tmp/n.ndjson
    time python3 bench/py_json_loads.py /tmp/n.ndjson
    time build/pipeline/isload inspect --emit /dev/null /tmp/n.ndjson

Prints the line count and MB/s of input parsed.
"""
import json
import os
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: py_json_loads.py FILE.ndjson")
    path = sys.argv[1]
    t0 = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        n = 0
        for line in f:
            json.loads(line)
            n += 1
    dt = time.perf_counter() - t0
    mb = os.path.getsize(path) / 1e6
    print(f"{n} lines, {mb:.1f} MB in {dt:.2f} s: {mb / dt:.0f} MB/s")


if __name__ == "__main__":
    main()
