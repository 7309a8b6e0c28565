#!/usr/bin/env python3
"""measure.py: run a command several times; print median wall seconds and
peak RSS (KiB) of the child, as "SECONDS RSS_KIB". stdout is discarded.
usage: measure.py RUNS CMD [ARGS...]  (a CMD of 'sh -c ...' is fine)"""
import os, statistics, subprocess, sys, time

def once(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.stderr.write(f"measure: {cmd[0]} exited {code}: {err[-500:]}\n")
        sys.exit(1)
    return dt, ru.ru_maxrss

runs = int(sys.argv[1])
cmd = sys.argv[2:]
res = [once(cmd) for _ in range(runs)]
print(f"{statistics.median(r[0] for r in res):.3f} {max(r[1] for r in res)}")
