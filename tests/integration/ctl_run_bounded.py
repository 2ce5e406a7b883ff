#!/usr/bin/python3
"""Runs a command with its memory and time bounded, and reports its peak.

    ctl_run_bounded.py MAX_RSS_MB TIMEOUT_S RESULT_FILE -- COMMAND...

The command inherits stdin/stdout/stderr. Its resident set is polled every
20 ms (/proc/PID/status); above MAX_RSS_MB, or after TIMEOUT_S seconds, it
is killed (SIGKILL). RESULT_FILE gets three lines:
    status=exit N | status=signal N
    killed=no | killed=memory | killed=time
    maxrss_kb=N        (the kernel's peak for the command, from wait4)
A command that would eat the machine's memory is stopped near the limit
(it grows at most 20 ms past it); nothing here sleeps on success.
"""
import os
import signal
import subprocess
import sys
import time


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    max_kb = int(sys.argv[1]) * 1024
    deadline = time.monotonic() + float(sys.argv[2])
    result = sys.argv[3]
    cmd = sys.argv[5:] if sys.argv[4] == "--" else sys.argv[4:]
    proc = subprocess.Popen(cmd)
    killed = "no"
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if killed == "no" and rss_kb(proc.pid) > max_kb:
            killed = "memory"
            os.kill(proc.pid, signal.SIGKILL)
        elif killed == "no" and time.monotonic() > deadline:
            killed = "time"
            os.kill(proc.pid, signal.SIGKILL)
        time.sleep(0.02)
    if os.WIFSIGNALED(status):
        what = "signal %d" % os.WTERMSIG(status)
    else:
        what = "exit %d" % os.WEXITSTATUS(status)
    with open(result, "w") as f:
        f.write("status=%s\nkilled=%s\nmaxrss_kb=%d\n" % (what, killed, usage.ru_maxrss))


if __name__ == "__main__":
    main()
