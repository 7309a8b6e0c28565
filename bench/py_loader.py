#!/usr/bin/env python3
"""py_loader.py: the baseline for bench/load_bench.sh. The loader a
ServiceNow admin would write with the standard library only: read the CSV,
rename the columns to the feed's u_ staging columns, POST 200-row batches
to /api/now/import/{staging}/insertMultiple one after another, and check
that each answer is 2xx.

It does less work than isload, on purpose: no validation or stages (values
are sent as read), no correlation column, no multi import set, no retries,
and it reads no results back (it never learns what the transform did to a
row). Credentials: ISLOAD_USER and ISLOAD_PASSWORD (basic auth).

usage: py_loader.py FEED.json INPUT.csv --instance URL [--batch N]
prints: "py_loader: ROWS rows, BATCHES batches, SECONDS s, RATE rows/s"
"""
import argparse
import base64
import csv
import json
import os
import sys
import time
import urllib.error
import urllib.request


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("feed")
    ap.add_argument("input")
    ap.add_argument("--instance", required=True)
    ap.add_argument("--batch", type=int, default=200)
    a = ap.parse_args()

    with open(a.feed) as f:
        feed = json.load(f)
    staging = feed["staging_table"]
    cols = [(fl.get("source", fl["column"]), fl["column"]) for fl in feed["fields"]]
    url = f"{a.instance.rstrip('/')}/api/now/import/{staging}/insertMultiple"
    cred = f"{os.environ['ISLOAD_USER']}:{os.environ['ISLOAD_PASSWORD']}"
    headers = {
        "Authorization": "Basic " + base64.b64encode(cred.encode()).decode(),
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def post(records):
        body = json.dumps({"records": records}).encode()
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
        except urllib.error.HTTPError as e:
            sys.exit(f"py_loader: HTTP {e.code} on batch: {e.read()[:300]!r}")

    t0 = time.monotonic()
    rows = batches = 0
    batch = []
    with open(a.input, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            batch.append({col: rec.get(src, "") for src, col in cols})
            if len(batch) == a.batch:
                post(batch)
                rows += len(batch)
                batches += 1
                batch = []
    if batch:
        post(batch)
        rows += len(batch)
        batches += 1
    dt = time.monotonic() - t0
    print(f"py_loader: {rows} rows, {batches} batches, {dt:.2f} s, "
          f"{rows / dt if dt > 0 else 0:.0f} rows/s")


if __name__ == "__main__":
    main()
