#!/usr/bin/env python3
"""measure.py: run a command several times; print the median wall seconds,
the peak RSS (KiB) and the median CPU seconds (user+sys, all threads) of
the command, as "SECONDS RSS_KIB CPU_SECONDS". stdout is
discarded. RSS comes from GNU time (/usr/bin/time), which forks a small C
process: measuring from Python would count the forked interpreter's own
memory. usage: measure.py RUNS CMD [ARGS...]"""
import statistics, subprocess, sys, tempfile, time

def once(cmd):
    with tempfile.NamedTemporaryFile("r") as tf:
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M %U %S"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.monotonic() - t0
        if p.returncode not in (0, 1):
            sys.stderr.write(f"measure: {cmd[0]} exited {p.returncode}: "
                             f"{p.stderr.decode(errors='replace')[-500:]}\n")
            sys.exit(1)
        rss, user, sys_ = tf.read().strip().splitlines()[-1].split()
    return dt, int(rss), float(user) + float(sys_)

runs = int(sys.argv[1])
cmd = sys.argv[2:]
res = [once(cmd) for _ in range(runs)]
print(f"{statistics.median(r[0] for r in res):.3f} {max(r[1] for r in res)} "
      f"{statistics.median(r[2] for r in res):.3f}")
