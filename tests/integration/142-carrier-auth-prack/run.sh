#!/usr/bin/env bash
# 142-carrier-auth-prack: the carrier challenges trunkd's PRACKs of
# reliable 18x to relayed re-INVITEs: the bodiless PRACK of a reliable 180
# (407), the PRACK that answers an offer in a reliable 183 by itself
# (call_reprack.c, 401) and the one that carries the PBX's answer (407):
# each comes again once, same RAck and body, with a digest that verifies;
# the PBX sees the outcomes only; the BYE reuses the last nonce.
# REQ: REG-4, STA-6
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

tc_trunkd_auth_start

tc_call_pair prack
# Two PRACKs per challenge, nothing more.
n=$(grep -c '^PRACK ' "$TI_DIR/carrier-prack.msg.txt" || true)
[ "$n" = 6 ] || ti_fail "the carrier got $n PRACKs, expected 6"
tc_digest carrier-prack PRACK Proxy-Authorization prk-
tc_digest carrier-prack PRACK Proxy-Authorization rel-
tc_digest carrier-prack BYE Proxy-Authorization rel-

ti_wait_until 5 tc_no_calls || ti_fail "trunkd still has a call"
! grep -qF "$TC_AUTH_PASSWORD" "$TI_DIR/trunkd.log" ||
	ti_fail "the trunk's password is in trunkd's log"
ti_pass
