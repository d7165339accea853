#!/usr/bin/env bash
# 058-keep-invite: RFC 6223 for a dialog-forming request (KEEP-3): the PBX's
# INVITE offers keep in its Via; the call goes through trunkd to the
# carrier (SIPp), and the 200 trunkd sends the PBX (a reliable response)
# carries keep=30 in its Via. peers/pbx-call.xml is used with keep added to
# its INVITE Via and a check on the 200's Via; everything else it asserts
# (topology hiding, Contact, SDP, in-dialog OPTIONS/BYE) still holds.
# REQ: KEEP-3
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/calls.sh"
ti_setup

python3 - "$TI_ROOT/peers/pbx-call.xml" "$TI_DIR/pbx-keep.xml" <<'PY' ||
import sys
s = open(sys.argv[1]).read()
inv = ";branch=z9hG4bK-pbx-inv-[call_number]\n"
assert s.count(inv) == 2
s = s.replace(inv, inv.replace("]\n", "];keep\n"))
recv = '<recv response="200" rrs="true" next="ack_answer" test="late">\n    <action>\n'
assert s.count(recv) == 1
s = s.replace(recv, recv + '      <ereg regexp=";keep=30(;|$)" search_in="hdr" header="Via:"\n'
              '            check_it="true" assign_to="keep200"/>\n'
              '      <log message="200 Via keep: [$keep200]"/>\n')
open(sys.argv[2], "w").write(s)
PY
	ti_fail "cannot make pbx-keep.xml"

tc_trunkd_start
tc_carrier_answers carrier
rc=0
tc_pbx pbx "$TI_DIR/pbx-keep.xml" u1 -s +15550100001 -set contact_tp udp || rc=$?
[ "$rc" = 0 ] || ti_fail "the PBX's call failed, or its 200 had no keep=30 (SIPp exit $rc)"
tc_checks_ok pbx || ti_fail "the PBX's checks failed"
tc_peer_wait carrier
grep -q ';keep=30' "$TI_DIR/pbx.msg.txt" || ti_fail "no keep=30 seen by the PBX"
ti_pass
