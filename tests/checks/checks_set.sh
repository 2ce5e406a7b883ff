#!/bin/bash
# The endpoints a site's sensors need, as the portal lists them (several
# hosts under the three domains) and a legacy (pre-22.x) group's IoT Hub on
# 443, 5671 (AMQPS) and 8883 (MQTTS): one probe of the whole set through
# azure-proxy gives one row per endpoint, in the order given, each passing;
# the legacy rows are reported as legacy by the group's own name.
TEST=ckset
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
H=contoso-hub.azure-devices.net
set12=(ingest-1.blob.core.windows.net ingest-2.blob.core.windows.net)
ck_endpoint ${set12[0]} 100.64.2.10 tls12
ck_endpoint ${set12[1]} 100.64.2.12 tls12
ck_endpoint events.servicebus.windows.net 100.64.2.11 tls13
for port in 443 5671 8883; do ck_endpoint $H 100.64.2.30 tls12 "" $port; done
ck_azure_proxy

eps=("${set12[0]}:443" events.servicebus.windows.net:443 "${set12[1]}:443")
ck_probe --group sensors-22 --proxy 100.64.3.3:3128 --via azure-proxy "${eps[@]}"
ck_rc_is 0
for e in "${eps[@]}"; do
  ck_is $e verdict pass
  ck_is $e group sensors-22
done
check "one row per endpoint, in the order given" \
  [ "$(jq -rs '[.[] | select(.endpoint?) | .endpoint] | join(" ")' "$CK_OUT")" = "${eps[*]}" ]

legacy=("$H:443" "$H:5671" "$H:8883")
ck_probe --legacy --group legacy-hub --proxy 100.64.3.3:3128 --via azure-proxy "${legacy[@]}"
ck_rc_is 0
for e in "${legacy[@]}"; do
  ck_is $e verdict pass
  ck_is $e group legacy-hub
  ck_is $e cert_subject "CN=$H"
done
check "three legacy rows, in the order given" \
  [ "$(jq -rs '[.[] | select(.endpoint?) | .endpoint] | join(" ")' "$CK_OUT")" = "${legacy[*]}" ]
finish
