#!/usr/bin/env bash
# 040-tls-carrier-call: a call from the PBX to a carrier reached over TLS.
# The carrier is a real TLS server (stunnel with the test PKI's
# carrier.test certificate, in front of SIPp over TCP). trunkd connects to
# the SP-SSE's address (127.0.0.3:5091) and verifies the certificate
# against the trunk's CA and its domain carrier.test (RFC 5922); the
# carrier sees INVITE, ACK and BYE with trunkd's TLS Via and Contact, all
# over one TLS connection (STA-2), while the PBX talks UDP. The carrier's
# Contact says ";transport=tls" at a port where nothing listens: trunkd
# ignores it and keeps to the SP-SSE's connection (SC-8-2).
# REQ: TLS-5, TLS-8, STA-2, SC-8-1, SC-8-2
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
. "$TI_ROOT/tls.sh"
ti_setup
[ -n "$TI_NETNS" ] || { ti_log "SKIP: needs a network namespace (fixed TLS ports)"; exit 77; }
tls_pki

tls_config "$TI_TEST_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port tcp 127.0.0.1 5081 5

tls_carrier_call

# STA-2: INVITE, ACK and BYE travelled on one TLS connection.
n=$(tls_connections sse)
[ "$n" = 1 ] || ti_fail "the carrier's TLS front end accepted $n connections, want 1"
# The SP-SSE that answered is up (trunkctl).
out=$(ti_ctl status) || ti_fail "trunkctl status failed"
ti_json_check "$out" \
	'[p for t in j["trunks"] for p in t["sse"] if p["state"] == "up"] != []' \
	"the SP-SSE is up after its answer"
ti_pass
