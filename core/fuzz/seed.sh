#!/usr/bin/env bash
# Seeds core/fuzz/corpus/<target>/ from tests/fixtures (idempotent: seed files are
# rewritten, what the fuzzer added is kept). Input formats: see src/lib.rs and the
# header of each fuzz_targets/<target>.rs. Records are separated by the byte 0x1E.
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIX="$FUZZ_DIR/../../tests/fixtures"
CORPUS="$FUZZ_DIR/corpus"
RS=$'\x1e'

# seed TARGET NAME: the seed's bytes on stdin.
seed() {
    mkdir -p "$CORPUS/$1"
    cat >"$CORPUS/$1/seed-$2"
}
# rec STATUS FILE [HEADER...]: one reply record with a fixture body.
rec() {
    local status=$1 file=$2
    shift 2
    printf '%s\n' "$status"
    for header in "$@"; do printf '%s\n' "$header"; done
    printf '\n'
    cat "$FIX/$file"
}
# Control bytes as raw bytes: ctl 0x14 0x00 ...
ctl() { for b in "$@"; do printf "\\x${b#0x}"; done; }
link() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$FIX/$2" | head -n 1; }

# --- per-vendor responses: control byte (bits 0-1 jobs: 0 list, 1 connection, 2 both;
# bits 2-3 setup variant; bits 4-5 canned pages first; bits 6-7 clock step), records.
t=response_vsax
{ ctl 00; rec 200 vsax/devices_page1.json; printf '%s' "$RS"; rec 200 vsax/devices_page2.json; } | seed $t pages
{ ctl 10; rec 200 vsax/devices_page2.json; } | seed $t page2
{ ctl 20; rec 200 vsax/devices_page3.json; } | seed $t page3
{ ctl 00; rec 200 vsax/devices_next_query_link_page1.json; printf '%s' "$RS"; rec 200 vsax/devices_next_query_link_page2.json; } | seed $t next-link
{ ctl 00; rec 200 vsax/devices_next_query_link_foreign.json; } | seed $t foreign-link
{ ctl 10; rec 200 vsax/devices_empty.json; } | seed $t empty
{ ctl 01; rec 200 vsax/organizations_top1.json; } | seed $t connection
{ ctl 02; rec 200 vsax/organizations_top1.json; printf '%s' "$RS"; rec 200 vsax/organizations_page1.json; printf '%s' "$RS"; rec 200 vsax/organizations_page2.json; } | seed $t both
{ ctl 00; rec 401 vsax/error_401.json; } | seed $t 401
{ ctl 01; rec 403 vsax/error_403.json; } | seed $t 403
{ ctl 00; rec 404 vsax/error_404.json; } | seed $t 404
{ ctl 10; rec 200 vsax/error_404.json; } | seed $t 404-in-200
{ ctl 00; rec 502 common/bad_gateway.html 'Content-Type: text/html'; printf '%s' "$RS"; rec 200 vsax/devices_page1.json; } | seed $t html-502
{ ctl 40; printf '429\nRetry-After: 2\n\n{}%s' "$RS"; printf '!tread timed out%s' "$RS"; rec 200 vsax/devices_page1.json; } | seed $t retry

t=response_vsa9
for auth in 00:01 04:05; do
    { ctl ${auth%:*}; rec 200 vsa9/agents_page1.json; printf '%s' "$RS"; rec 200 vsa9/agents_page2.json; printf '%s' "$RS"; rec 200 vsa9/agents_page3.json; } | seed $t pages-${auth%:*}
    { ctl ${auth#*:}; rec 200 vsa9/orgs_top1.json; } | seed $t connection-${auth%:*}
done
{ ctl 10; rec 200 vsa9/agents_page2.json; } | seed $t page2
{ ctl 20; rec 200 vsa9/agents_page3.json; } | seed $t page3
{ ctl 00; rec 200 vsa9/in_body_401.json; printf '%s' "$RS"; rec 200 vsa9/agents_page1.json; } | seed $t in-body-401
{ ctl 00; rec 401 vsa9/auth_invalid_credentials.json; } | seed $t 401
{ ctl c0; rec 200 vsa9/agents_page1.json; printf '%s' "$RS"; rec 200 vsa9/agents_page2.json; } | seed $t renewal-clock
{ ctl 02; rec 502 common/bad_gateway.html; printf '%s' "$RS"; rec 200 vsa9/orgs_top1.json; } | seed $t html-502

t=response_warehouse
{ ctl 00; rec 200 warehouse/agents_page1.json; printf '%s' "$RS"; rec 200 warehouse/agents_page2_relative_next_link.json; printf '%s' "$RS"; rec 200 warehouse/agents_page3.json; } | seed $t pages
{ ctl 10; rec 200 warehouse/agents_page2_relative_next_link.json; } | seed $t relative-link
{ ctl 00; rec 200 warehouse/agents_next_link_foreign.json; } | seed $t foreign-link
{ ctl 01; rec 200 warehouse/agents_top1.json; } | seed $t connection
{ ctl 00; rec 401 warehouse/error_401.json; } | seed $t 401
{ ctl 00; rec 503 common/bad_gateway.html 'Retry-After: 1'; } | seed $t html-503

t=response_autotask
for setup in 00:01 04:05 08:09; do
    { ctl ${setup%:*}; rec 200 autotask/companies_query_page1.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page2.json; } | seed $t pages-${setup%:*}
    { ctl ${setup#*:}; rec 200 autotask/query_count.json; } | seed $t connection-${setup%:*}
done
{ ctl 04; rec 200 autotask/companies_query_next_link_foreign.json; } | seed $t foreign-link
{ ctl 00; rec 500 autotask/error_integration_code_invalid.json; } | seed $t integration-code
{ ctl 04; rec 429 autotask/error_thread_limit.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page1.json; } | seed $t thread-limit
{ ctl 00; printf '401\n\n%s' "$RS"; rec 200 autotask/companies_query_page1.json; } | seed $t 401-rediscover
{ ctl 16; rec 200 autotask/query_count.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page2.json; } | seed $t both

# --- several fuzzed responses in a row: setup byte (0 vsax, 1 vsa9 pat, 2 vsa9
# password, 3 warehouse, 4 autotask discover, 5 autotask zone, 6 autotask keyset),
# control byte (bits 0-1 jobs, bits 2-3 clock step), records.
t=response_sequence
{ ctl 00 00; rec 200 vsax/devices_page1.json; printf '%s' "$RS"; rec 200 vsax/devices_page2.json; printf '%s' "$RS"; rec 200 vsax/devices_page3.json; } | seed $t vsax
{ ctl 00 01; rec 200 vsax/organizations_top1.json; } | seed $t vsax-connection
for setup in 01 02; do
    { ctl $setup 00; rec 200 vsa9/auth_ok.json; printf '%s' "$RS"; rec 200 vsa9/agents_page1.json; printf '%s' "$RS"; rec 200 vsa9/agents_page2.json; printf '%s' "$RS"; rec 200 vsa9/agents_page3.json; } | seed $t vsa9-$setup
    { ctl $setup 01; rec 200 vsa9/auth_ok.json; printf '%s' "$RS"; rec 200 vsa9/orgs_top1.json; } | seed $t vsa9-connection-$setup
done
{ ctl 01 00; rec 200 vsa9/auth_ok.json; printf '%s' "$RS"; rec 200 vsa9/in_body_401.json; printf '%s' "$RS"; rec 200 vsa9/auth_ok_renewed.json 'Date: Sun, 22 Nov 2026 12:00:05 GMT'; printf '%s' "$RS"; rec 200 vsa9/agents_page1.json; } | seed $t vsa9-renewal
{ ctl 01 00; rec 401 vsa9/auth_invalid_credentials.json; } | seed $t vsa9-bad-logon
{ ctl 02 00; rec 200 vsa9/auth_invalid_credentials.json; } | seed $t vsa9-bad-logon-200
{ ctl 03 00; rec 200 warehouse/agents_page1.json; printf '%s' "$RS"; rec 200 warehouse/agents_page2_relative_next_link.json; printf '%s' "$RS"; rec 200 warehouse/agents_page3.json; } | seed $t warehouse
{ ctl 04 00; rec 200 autotask/zone_information.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page1.json; printf '%s' "$RS"; rec 200 autotask/threshold_information.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page2.json; } | seed $t autotask
{ ctl 04 01; rec 200 autotask/zone_information.json; printf '%s' "$RS"; rec 200 autotask/query_count.json; } | seed $t autotask-connection
{ ctl 04 00; rec 200 autotask/zone_information_foreign_host.json; } | seed $t autotask-foreign-zone
{ ctl 04 00; rec 500 autotask/zone_unknown_user.json; } | seed $t autotask-unknown-user
{ ctl 04 00; rec 200 autotask/zone_information.json; printf '%s401\n\n%s' "$RS" "$RS"; rec 200 autotask/zone_information_webservices5.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page2.json; } | seed $t autotask-rediscover
{ ctl 05 02; rec 200 autotask/query_count.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page1.json; printf '%s' "$RS"; rec 200 autotask/threshold_information.json; } | seed $t autotask-zone-both
{ ctl 06 00; rec 200 autotask/zone_information.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page1.json; printf '%s' "$RS"; rec 200 autotask/threshold_information.json; printf '%s' "$RS"; rec 200 autotask/companies_query_page2.json; } | seed $t autotask-keyset

# --- next-page links: base byte (0 vsax, 1 vsa9, 2 warehouse, 3 autotask, 4 loopback,
# 5 fuzzed), mode byte (0 base, 1 base+query, 2 fuzzed request URL; 0x80 | setup:
# through a client), then the link (or base RS request RS link).
t=next_link
vsax_link=$(link NextQueryLink vsax/devices_next_query_link_page1.json)
dw_link=$(link '@odata.nextLink' warehouse/agents_page1.json)
dw_rel=$(link '@odata.nextLink' warehouse/agents_page2_relative_next_link.json)
at_link=$(link nextPageUrl autotask/companies_query_page1.json)
{ ctl 00 00; printf '%s' "$vsax_link"; } | seed $t vsax
{ ctl 00 01; printf '%s' "$(link NextQueryLink vsax/devices_next_query_link_foreign.json)"; } | seed $t vsax-foreign
{ ctl 02 00; printf '%s' "$dw_link"; } | seed $t warehouse
{ ctl 02 01; printf '%s' "$dw_rel"; } | seed $t warehouse-relative
{ ctl 03 00; printf '%s' "$at_link"; } | seed $t autotask
{ ctl 03 00; printf '%s' "$(link nextPageUrl autotask/companies_query_next_link_foreign.json)"; } | seed $t autotask-foreign
{ ctl 04 00; printf 'http://127.0.0.1:8443/api/v3/devices?$skip=3'; } | seed $t loopback
{ ctl 05 02; printf 'https://acme.vsax.net/api/v3/%sdevices?$top=3%s../v3/devices?$skip=3' "$RS" "$RS"; } | seed $t fuzzed-base
{ ctl 00 00; printf '//user:pw@acme.vsax.net/api/v3/devices#frag'; } | seed $t userinfo
{ ctl 00 80; printf '%s' "$vsax_link"; } | seed $t client-vsax
{ ctl 00 81; printf '%s' "$dw_rel"; } | seed $t client-warehouse
{ ctl 00 82; printf '%s' "$at_link"; } | seed $t client-autotask
{ ctl 00 87; printf '%s' "$at_link"; } | seed $t client-keyset

# --- zone URLs: flags byte (bit 0 allow loopback; 0x80: through a client, bit 2 = the
# rest is the whole discovery body), then the URL.
t=zone_url
for url in webservices15.autotask.net https://webservices15.autotask.net/ATServicesRest/ \
    https://webservices15.autotask.net/ATServicesRest/V1.0/ \
    https://webservices.autotask.net/ATServicesRest/V1.0/zoneInformation \
    https://webservices15.autotask.net.attacker.example/ATServicesRest/ \
    'HTTPS://WebServices5.AutoTask.NET//prefix//ATServicesRest' ftp://autotask.net/ \
    'https://u:p@webservices15.autotask.net/?x#y'; do
    { ctl 00; printf '%s' "$url"; } | seed $t "$(printf '%s' "$url" | cksum | cut -d' ' -f1)"
done
{ ctl 01; printf 'http://127.0.0.1:8080/ATServicesRest/V1.0'; } | seed $t loopback
{ ctl 01; printf 'http://localhost:3000/zoneInformation'; } | seed $t localhost
{ ctl 80; printf 'https://webservices15.autotask.net/ATServicesRest/'; } | seed $t client
{ ctl 84; cat "$FIX/autotask/zone_information.json"; } | seed $t client-body
{ ctl 84; cat "$FIX/autotask/zone_information_foreign_host.json"; } | seed $t client-foreign
{ ctl 96; cat "$FIX/autotask/zone_information_webservices5.json"; } | seed $t client-keyset-both

# --- tenant URLs: flags byte (bit 0 allow loopback, bit 1 VSA 9 password), then the URL
# (RS user name).
t=tenant_url
for url in acme.vsax.net https://acme.vsax.net/api/v3/ 'HTTPS://ACME.VSAX.NET//api//' \
    vsa.example.com/api/v1.0 https://vsa.example.com/api/odata/1.0/ acme.vsax.net:8443 \
    'user:pw@acme.vsax.net' 'https://[::1]:8443/' //acme.vsax.net/api \
    webservices15.autotask.net 'acme.vsax.net/api/v2?x=1#f' ' https://acme.vsax.net ' \
    'javascript:alert(1)'; do
    { ctl 00; printf '%s' "$url"; } | seed $t "$(printf '%s' "$url" | cksum | cut -d' ' -f1)"
done
{ ctl 01; printf 'http://127.0.0.1:8080'; } | seed $t loopback
{ ctl 03; printf 'localhost:3000/api'; } | seed $t localhost
{ ctl 00; printf 'acme.vsax.net%smspkit-token-id-7c41' "$RS"; } | seed $t with-user
{ ctl 02; printf 'vsa.example.com%sbob:smith' "$RS"; } | seed $t colon-user

# --- relay: flags byte (bits 0-1 vendor vsax, vsa9, warehouse, autotask; bits 2-3 method
# GET, POST, PUT, get; bit 4 simulator mode; bit 5 an allowed host), the URL, then RS and
# header names one per line.
t=relay
for url in https://acme.vsax.net/api/v3/devices 'https://acme.vsa.kaseya.net/api/v3/organizations?$top=1' \
    https://169.254.169.254/latest/meta-data/ 'https://[fe80::1]/api/v3/' file:///etc/passwd \
    'https://acme.vsax.net/api/v3/%2e%2e/x' 'https://u:p@acme.vsax.net/api/v3/x#f' \
    https://evilvsax.net/api/v3/devices http://acme.vsax.net/api/v3/devices 10.0.0.1 ::ffff:127.0.0.1; do
    { ctl 00; printf '%s' "$url"; } | seed $t "$(printf '%s' "$url" | cksum | cut -d' ' -f1)"
done
{ ctl 03; printf 'https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query%sUserName\nSecret\nApiIntegrationCode' "$RS"; } | seed $t autotask
{ ctl 07; printf 'https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query%sCookie' "$RS"; } | seed $t autotask-post-cookie
{ ctl 11; printf 'http://127.0.0.1:8080/api/v1.0/auth%sAuthorization' "$RS"; } | seed $t simulator
{ ctl 21; printf 'https://vsa.fuzz.example/api/v1.0/system/orgs'; } | seed $t allowed-host

# --- Retry-After: control byte (bits 0-1 vendor: vsax, warehouse, autotask, vsa9;
# bits 2-3 status: 429, 503, either, the record's; bits 6-7 clock step), records.
t=retry_after
{ ctl 00; printf '429\nRetry-After: 2\n\n{}'; } | seed $t seconds
{ ctl 04; printf '503\nRetry-After: 120\n\n'; } | seed $t seconds-503
{ ctl 01; printf '429\nRetry-After: Sun, 22 Nov 2026 12:31:00 GMT\nDate: Sun, 22 Nov 2026 12:30:30 GMT\n\n'; } | seed $t date
{ ctl 05; printf '503\nretry-after: Sunday, 22-Nov-26 12:01:00 GMT\n\n'; } | seed $t rfc850
{ ctl 02; printf '429\nRetry-After: Sun Nov 22 12:00:30 2026\n\n'; } | seed $t asctime
{ ctl 03; printf '429\nRetry-After: 1\n\n%s503\nRetry-After: 3\n\n%s429\nRetry-After: 99999999999999999999\n\n' "$RS" "$RS"; } | seed $t attempts
{ ctl 0c; printf '500\nRetry-After: 5\n\n{}%s' "$RS"; rec 200 vsax/devices_page3.json; } | seed $t record-status
{ ctl 0e; rec 429 autotask/error_thread_limit.json 'Retry-After: 10'; } | seed $t autotask-thread-limit
{ ctl 40; printf '429\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\n\n'; } | seed $t far-future

# --- import_state: control byte (bits 0-2 setup as in response_sequence; bits 3-4: 0
# whole state, 1 the rest is the autotask_zone, 2 the rest is the pacing JSON; bits 5-6
# jobs), then text.
t=import_state
pacing='{"instances":{"d050f6719e7c76ed":{"failures":{"b":[112209300007,1,31,1],"res":16},"in_flight":1,"sends":{"default":{"b":[1795348801,2],"res":1000}}},"other":{"in_flight":2,"sends":{"default":{"b":[1795348790,5,3,1],"res":1000},"assets":{"b":[1795348,1],"res":1000000}}}}}'
{ ctl 00; printf '{"v":1,"vendor":"vsax","pacing":%s}' "$pacing"; } | seed $t vsax
{ ctl 01; printf '{"v":1,"vendor":"vsa9","pacing":%s}' "$pacing"; } | seed $t vsa9
{ ctl 03; printf '{"v":1,"vendor":"vsa9_warehouse"}'; } | seed $t warehouse
{ ctl 04; printf '{"v":1,"vendor":"autotask","autotask_zone":"https://webservices15.autotask.net/ATServicesRest/V1.0/","pacing":%s}' "$pacing"; } | seed $t autotask
{ ctl 0c; printf 'https://webservices5.autotask.net/ATServicesRest/'; } | seed $t zone
{ ctl 0c; printf 'https://evil.example/ATServicesRest/'; } | seed $t foreign-zone
{ ctl 10; printf '%s' "$pacing"; } | seed $t pacing
{ ctl 15; printf '{"instances":{"x":{"in_flight":4294967295,"sends":{"default":{"b":[18446744073709551615,1],"res":18446744073709551615}}}}}'; } | seed $t pacing-extremes

echo "seeded $(find "$CORPUS" -name 'seed-*' | wc -l) seed files under $CORPUS"
