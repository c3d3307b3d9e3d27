#!/usr/bin/python3
"""Run a command; report its wall time and its peak anonymous memory.

usage: rss_peak.py [--interval S] [--sync] -- CMD [ARG...]

Prints one line on stdout:

    WALL_S PEAK_RSS_ANON_KIB MAX_RSS_KIB SAMPLES EXIT

WALL_S        seconds from spawning CMD to its exit (plus the sync(2) that
              follows it with --sync, so that data still in the page cache
              is counted as written)
PEAK_RSS_ANON the largest RssAnon of /proc/PID/status seen while sampling
              every S seconds (default 0.005).  RssAnon counts only the
              process's anonymous pages (heap, stacks, malloc'd buffers):
              file-backed pages such as an mmapped input are RssFile and
              do not count.  Samples taken before CMD has exec'd (the
              forked interpreter) are skipped.
MAX_RSS       ru_maxrss of the child (getrusage): the peak of ALL resident
              pages, file-backed mmapped input included; informative only.
SAMPLES       number of RssAnon samples kept.
EXIT          the exit status of CMD (128+N when killed by signal N).

CMD's stdout and stderr are passed through.  Only the Python standard
library is used.
"""
import os
import subprocess
import sys
import time


def rss_anon_kib(pid, comm):
    """RssAnon of pid in KiB, or None when pid is not (yet/any more) CMD."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() != comm:
                return None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def main():
    args = sys.argv[1:]
    interval, do_sync = 0.005, False
    while args and args[0] != "--":
        if args[0] == "--interval" and len(args) > 1:
            interval = float(args[1])
            args = args[2:]
        elif args[0] == "--sync":
            do_sync = True
            args = args[1:]
        else:
            sys.exit(f"rss_peak.py: unknown option {args[0]}\n{__doc__}")
    if len(args) < 2:
        sys.exit(__doc__)
    cmd = args[1:]
    comm = os.path.basename(cmd[0])[:15]  # the kernel truncates comm to 15
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak, samples = 0, 0
    while True:
        kib = rss_anon_kib(proc.pid, comm)
        if kib is not None:
            peak = max(peak, kib)
            samples += 1
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        time.sleep(interval)
    proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
    if do_sync:
        os.sync()
    wall = time.monotonic() - t0
    if os.WIFEXITED(status):
        rc = os.WEXITSTATUS(status)
    else:
        rc = 128 + os.WTERMSIG(status)
    print(f"{wall:.3f} {peak} {usage.ru_maxrss} {samples} {rc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
