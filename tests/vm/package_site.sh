# shellcheck shell=bash
# Sourced by tests/vm/package_job.sh (inside the VM): one site carried by the
# installed service (the unit, under systemd, /etc/tunneld/tunneld.conf).
#   netns vpkg-sen (sensor 100.64.1.2) -- vpkgsen0 100.64.1.1 (the VM's root
#   namespace: tunneld, forwarding) -- vpkger0 192.0.2.1 == vpkg-er (192.0.2.2,
#   the far side 100.64.2.1 on lo): an ExpressRoute-like path, static next
#   hop 192.0.2.2, echo-probed (ICMP) by tunneld.
# Site vpkg, prefix 100.64.2.0/24, in tunneld's table 1160 (protocol 116).
VS_TABLE=1160 VS_PROTO=116

vs_setup() {
  sysctl -qw net.ipv4.ip_forward=1
  ip netns add vpkg-sen && ip netns add vpkg-er || return 1
  ip link add vpkgsen0 type veth peer name eth0 netns vpkg-sen
  ip addr add 100.64.1.1/24 dev vpkgsen0
  ip link set vpkgsen0 up
  ip -n vpkg-sen link set lo up
  ip -n vpkg-sen addr add 100.64.1.2/24 dev eth0
  ip -n vpkg-sen link set eth0 up
  ip -n vpkg-sen route add default via 100.64.1.1
  ip link add vpkger0 type veth peer name eth0 netns vpkg-er
  ip addr add 192.0.2.1/24 dev vpkger0
  ip link set vpkger0 up
  ip -n vpkg-er link set lo up
  ip -n vpkg-er addr add 192.0.2.2/24 dev eth0
  ip -n vpkg-er link set eth0 up
  ip -n vpkg-er addr add 100.64.2.1/32 dev lo
  ip -n vpkg-er route add 100.64.1.0/24 via 192.0.2.1
}

vs_cleanup() {
  ip netns del vpkg-sen 2> /dev/null
  ip netns del vpkg-er 2> /dev/null
}

# vs_conf_site -> adds site vpkg to the installed tunneld.conf
vs_conf_site() {
  python3 - /etc/tunneld/tunneld.conf << 'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
site = """    sites {
        # vpkg: added by the VM test (tests/vm/package_site.sh)
        vpkg {
            prefixes = 100.64.2.0/24
            paths {
                er {
                    type = expressroute
                    dev = vpkger0
                    gateway4 = 192.0.2.2
                    priority = 20
                    echo {
                        type = icmp
                        target = 192.0.2.2
                        interval = 200ms
                        timeout = 500ms
                        window = 5
                    }
                }
            }
        }
"""
s, n = re.subn(r"^    sites \{\n", site, s, count=1, flags=re.M)
if n != 1:
    sys.exit("no '    sites {' line in " + p)
open(p, "w").write(s)
PY
}

# vs_flush_on_exit yes|default -> sets tunneld.routes.flush_on_exit = yes, or
# removes the key again (the default: no)
vs_flush_on_exit() {
  sed -i '/^        flush_on_exit = yes # vpkg$/d' /etc/tunneld/tunneld.conf
  [ "$1" = yes ] && sed -i 's/^    routes {$/&\n        flush_on_exit = yes # vpkg/' /etc/tunneld/tunneld.conf
  return 0
}

# vs_route -> the site's route is in table 1160, tunneld's, and the kernel's
# lookup (tunneld's rules) takes 100.64.2.1 via vpkger0 (with
# nexthop_compat_mode = 0 a dump shows "nhid N" only, never the device)
vs_route() {
  ip route show table $VS_TABLE proto $VS_PROTO | grep -q '^100\.64\.2\.0/24 ' &&
    ip route get 100.64.2.1 | grep -q ' dev vpkger0 '
}
vs_no_route() { ! ip route show table $VS_TABLE | grep -q '^100\.64\.2\.0/24'; }
# vs_ping N -> N pings from the sensor to the far side answered
vs_ping() { ip netns exec vpkg-sen ping -n -q -c "$1" -i 0.2 -W 2 100.64.2.1 > /dev/null 2>&1; }
vs_no_ping() { ! ip netns exec vpkg-sen ping -n -q -c 2 -i 0.2 -W 1 100.64.2.1 > /dev/null 2>&1; }

# vs_watch_start NAME -> `ip monitor route nexthop rule` into /job/out/monitor_NAME.txt
# and a 10/s sensor ping (at most 1500) into /job/out/ping_NAME.txt; both
# running when it returns (a marker route seen by the monitor)
vs_watch_start() {
  VS_MON=/job/out/monitor_$1.txt VS_PING=/job/out/ping_$1.txt VS_MONPID='' VS_PINGPID=''
  ip -ts monitor route nexthop rule > "$VS_MON" 2>&1 &
  VS_MONPID=$!
  ip route add blackhole 203.0.113.250/32 table 1170
  wait_for 10 grep -q 203.0.113.250 "$VS_MON" || return 1
  ip route del blackhole 203.0.113.250/32 table 1170
  ip netns exec vpkg-sen ping -n -i 0.1 -c 1500 -W 1 100.64.2.1 > "$VS_PING" 2>&1 &
  VS_PINGPID=$!
  wait_for 10 grep -q 'bytes from' "$VS_PING"
}
vs_replies() { grep -c 'bytes from' "$VS_PING"; }
# vs_watch_stop -> stops both; sets VS_DELETED (deletions of tunneld's routes,
# nexthops and rules: protocol 116 or table 1160), VS_TX, VS_RX, VS_LOST
# (VS_DELETED is "monitor died" when the monitor was not running to the end)
vs_watch_stop() {
  local alive=yes
  kill -0 "$VS_MONPID" 2> /dev/null || alive=no
  kill -INT "$VS_PINGPID" 2> /dev/null
  wait "$VS_PINGPID" 2> /dev/null
  kill "$VS_MONPID" 2> /dev/null
  wait "$VS_MONPID" 2> /dev/null
  VS_DELETED=$(grep 'Deleted' "$VS_MON" | grep -cE "proto $VS_PROTO( |$)|table $VS_TABLE( |$)|lookup $VS_TABLE( |$)")
  [ "$alive" = yes ] || VS_DELETED="monitor died"
  VS_TX=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$VS_PING")
  VS_RX=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$VS_PING")
  VS_LOST=$((${VS_TX:-0} - ${VS_RX:-0}))
}
