# Sourced by dataplane_job.sh inside the VM, tunneld gw running with
# dataplane = xfrm and the site on xfrm-azure. Measures the sensor's traffic
# to 100.64.2.1 at az (same VM, same stock peer, same run), alternating
# tunneld's data plane: xfrm (kernel ESP, xfrm-azure) and libipsec (ESP-in-UDP
# in tunneld's process, TUN ipsec0), MEASURE_ROUNDS times each:
#   iperf3 -t 5 (TCP, MSS 1300 in both), ping -c 50 -i 0.05.
# Writes /job/out/measure.{txt,json}. Figures, never assertions: TCG
# (emulated CPU) slows both data planes; only their ratio means anything.
MEASURE_ROUNDS=${MEASURE_ROUNDS:-2}
M=/job/out/measure.txt
: > "$M"
mlog() { log "measure: $*"; echo "$*" >> "$M"; }

spawn "$T_DIR/iperf3.log" ip netns exec "$TEST-az" iperf3 -s -B 100.64.2.1
iperf_ready() { nsx az ss -ltn | grep -q '100.64.2.1:5201'; }
wait_for 10 "iperf3 server" iperf_ready || fail "iperf3 server in az did not start"

# the libipsec variant: same connection without if_id, the site's VPN path on ipsec0
sed -e '/if_id_in = 42/d' -e '/if_id_out = 42/d' "$T_DIR/swanctl.conf" > "$T_DIR/swanctl-libipsec.conf"
chmod 600 "$T_DIR/swanctl-libipsec.conf"
cp "$T_DIR/gw/tunneld.conf" "$T_DIR/tunneld-xfrm.conf"
python3 - "$T_DIR/tunneld-xfrm.conf" "$T_DIR/tunneld-libipsec.conf" "$T_DIR/swanctl-libipsec.conf" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = s.replace("dataplane = xfrm", "dataplane = libipsec")
s = re.sub(r"  xfrm \{\n    interfaces \{\n.*?\n    \}\n  \}\n", "", s, flags=re.S)
s = s.replace("dev = xfrm-azure", "dev = ipsec0")
s = re.sub(r"swanctl_conf = \S+", "swanctl_conf = " + sys.argv[3], s)
open(sys.argv[2], "w").write(s)
PY

# run_dp DP -> tunneld gw (re)started with that data plane, SA up, site on its device
run_dp() {
  local dp=$1 dev=xfrm-azure
  [ "$dp" = libipsec ] && dev=ipsec0
  if [ "$(grep -o 'dataplane = [a-z]*' "$T_DIR/gw/tunneld.conf")" != "dataplane = $dp" ] ||
    ! our_child "$TUNNELD_PID_gw"; then
    our_child "$TUNNELD_PID_gw" && { tunneld_stop gw || fail "tunneld did not stop cleanly before the $dp run"; }
    cp "$T_DIR/tunneld-$dp.conf" "$T_DIR/gw/tunneld.conf"
    tunneld_start gw
  fi
  wait_for 60 "child up ($dp)" child_is gw azure sensors up || { fail "no CHILD_SA with $dp"; return 1; }
  wait_for 30 "route $dev" route_dev "$dev" || { fail "the site is not on $dev with $dp"; return 1; }
}
# one_round DP -> appends "DP bps rtt_median_ms" to $T_DIR/m.txt
one_round() {
  local dp=$1 bps rtt
  run_dp "$dp" || return 1
  nsx sen iperf3 -c 100.64.2.1 -t 5 -M 1300 -J > "$T_DIR/iperf-$dp.json" 2> /dev/null ||
    { fail "iperf3 over $dp"; return 1; }
  bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$T_DIR/iperf-$dp.json")
  nsx sen ping -q -c 50 -i 0.05 -W 2 100.64.2.1 > /dev/null 2>&1 # (warm)
  rtt=$(nsx sen ping -c 50 -i 0.05 -W 2 100.64.2.1 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n |
    awk '{v[NR]=$1} END {if (NR) print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
  [ -n "$rtt" ] || { fail "ping over $dp"; return 1; }
  mlog "round $dp: iperf3 $((bps / 1000)) kbit/s, ping median $rtt ms"
  echo "$dp $bps $rtt" >> "$T_DIR/m.txt"
}
: > "$T_DIR/m.txt"
for r in $(seq "$MEASURE_ROUNDS"); do
  one_round xfrm
  one_round libipsec
done
mlog "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) vCPU, qemu TCG"
mlog "rfc4106(gcm(aes)) driver in the kernel: $(grep -A4 'name *: rfc4106(gcm(aes))' /proc/crypto | awk '/driver/ {print $3}' | sort -u | tr '\n' ' ')"
python3 - "$T_DIR/m.txt" /job/out/measure.json >> "$M" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
d = {}
for dp, bps, rtt in rows:
    d.setdefault(dp, {"bps": [], "rtt_ms": []})
    d[dp]["bps"].append(int(bps)); d[dp]["rtt_ms"].append(float(rtt))
res = {"rounds": rows, "note": "qemu TCG: both data planes emulated; only the ratio is meaningful"}
for dp, v in d.items():
    res[dp] = {"iperf3_bps_median": statistics.median(v["bps"]), "ping_rtt_ms_median": statistics.median(v["rtt_ms"])}
if "xfrm" in res and "libipsec" in res:
    x, l = res["xfrm"], res["libipsec"]
    res["throughput_ratio_xfrm_over_libipsec"] = round(x["iperf3_bps_median"] / l["iperf3_bps_median"], 2)
    res["rtt_ratio_libipsec_over_xfrm"] = round(l["ping_rtt_ms_median"] / x["ping_rtt_ms_median"], 2)
    print("medians: xfrm %d kbit/s, %.3f ms; libipsec %d kbit/s, %.3f ms" % (
        x["iperf3_bps_median"] / 1000, x["ping_rtt_ms_median"], l["iperf3_bps_median"] / 1000, l["ping_rtt_ms_median"]))
    print("throughput xfrm/libipsec = %.2f; RTT libipsec/xfrm = %.2f" % (
        res["throughput_ratio_xfrm_over_libipsec"], res["rtt_ratio_libipsec_over_xfrm"]))
json.dump(res, open(sys.argv[2], "w"), indent=1)
PY
check "measured both data planes ($MEASURE_ROUNDS rounds each)" \
  sh -c "[ \$(grep -c '^xfrm ' '$T_DIR/m.txt') = $MEASURE_ROUNDS ] && [ \$(grep -c '^libipsec ' '$T_DIR/m.txt') = $MEASURE_ROUNDS ]"
check "the libipsec run used the TUN device (ipsec0 existed)" grep -q '^libipsec ' "$T_DIR/m.txt"
