#!/usr/bin/env bash
# Issue 7 item 5: a signal in the first milliseconds after start must not
# kill tunneld. A bounded loop of starts; each time, once tunneld has opened
# its settings file (inotify: main() is running), SIGHUP or SIGTERM (or both)
# is sent at once or after a small random delay. tunneld never dies of a
# signal: after SIGHUP it runs and serves (a whole `sa` exchange on the
# control socket: its file exists before tunneld serves it); SIGTERM makes it
# exit 0 and remove its pid file.
#
#   daemon_signals.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dsig}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

ROUNDS=${SIGNAL_ROUNDS:-12}
netns_new gw
echo "connections { }" > "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$T_DIR/gw/tunneld.conf"

cat > "$T_DIR/starts.py" <<'PY'
import ctypes, json, os, random, select, signal, socket, subprocess, sys, time
ns, tunneld, conf, pidfile, ctl, rounds, scale = sys.argv[1:8]
rounds, scale = int(rounds), int(scale)
libc = ctypes.CDLL("libc.so.6", use_errno=True)
IN_OPEN = 0x20
random.seed(int(os.environ.get("SEED", "0")) or None)
bad = 0

def start():
    """tunneld, once it has opened its settings file (main() runs)"""
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, conf.encode(), IN_OPEN) < 0:
        sys.exit("inotify failed")
    log = open(os.path.join(os.path.dirname(conf), "starts.log"), "ab")
    p = subprocess.Popen(["ip", "netns", "exec", ns, tunneld, "-f", conf, "-d", "1"],
                         stdout=log, stderr=log)
    r, _, _ = select.select([fd], [], [], 10 * scale)
    os.close(fd)
    if not r:
        p.kill(); p.wait()
        sys.exit("tunneld never opened its settings file")
    return p

def wait_exit(p, timeout):
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None

def answers():
    """one whole exchange on the control socket: `sa`, a JSON reply with the
    SA table, then the end of the stream (the socket file alone exists before
    tunneld serves it)"""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(ctl)
        s.sendall(b"sa\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        return data.endswith(b"\n") and "sas" in json.loads(data)
    except (OSError, ValueError):
        return False
    finally:
        s.close()

def serving(p, timeout):
    end = time.time() + timeout
    while time.time() < end and p.poll() is None:
        if answers():
            return True
        time.sleep(0.02)
    return False

def report(what, delay, rc, ok):
    global bad
    bad += not ok
    how = "running" if rc is None else f"killed by signal {-rc}" if rc < 0 else f"exit {rc}"
    print(f"{'ok ' if ok else 'BAD'} {what:9s} after {delay * 1000:5.1f} ms: {how}", flush=True)

for i in range(rounds):
    for sigs in ([signal.SIGHUP], [signal.SIGTERM], [signal.SIGHUP, signal.SIGTERM]):
        # most starts take a few ms to the point where tunneld is ready for
        # signals: most delays fall there, some later
        delay = 0.0 if i == 0 else random.uniform(0, 0.003 if i % 3 else 0.04)
        try:
            os.unlink(ctl)
        except FileNotFoundError:
            pass
        p = start()
        time.sleep(delay)
        for s in sigs:
            os.kill(p.pid, s)
        what = "+".join(s.name for s in sigs)
        if sigs == [signal.SIGHUP]:
            up = serving(p, 30 * scale)
            rc = p.poll()
            report(what, delay, rc, up and rc is None)
            if rc is None:
                p.terminate()
        rc = wait_exit(p, 30 * scale)
        if rc is None:
            p.kill(); p.wait()
        ok = rc == 0 and not os.path.exists(pidfile)
        report(what + (" then TERM" if sigs == [signal.SIGHUP] else ""), delay, rc, ok)
        if rc == 0 and os.path.exists(pidfile):
            print("BAD pid file left behind", flush=True)
print("rounds", rounds, "bad", bad, flush=True)
PY
# the sanitizers' settings of daemon_spawn (reports as files beside the logs)
ASAN_OPTIONS="log_path=$T_DIR/gw/asan:detect_leaks=1:check_printf=0" \
LSAN_OPTIONS="suppressions=$REPO/tests/lib/lsan.supp:print_suppressions=0" \
UBSAN_OPTIONS="log_path=$T_DIR/gw/ubsan:print_stacktrace=1:halt_on_error=1" \
python3 "$T_DIR/starts.py" "$TEST-gw" "$TUNNELD" "$T_DIR/gw/tunneld.conf" "$T_DIR/gw/tunneld.pid" \
  "$T_DIR/gw/ctl" "$ROUNDS" "${TEST_TIME_SCALE:-1}" > "$T_DIR/starts.txt" 2>&1
cat "$T_DIR/starts.txt"
check "every start ran" grep -q "^rounds $ROUNDS " "$T_DIR/starts.txt"
check "tunneld never died of a signal, SIGTERM always stopped it cleanly" grep -q " bad 0$" "$T_DIR/starts.txt"
check "no sanitizer report" no_sanitizer_report gw
finish
