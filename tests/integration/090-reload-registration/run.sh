#!/usr/bin/env bash
# 090-reload-registration: `trunkctl reload` applies registration and flow
# settings (issue 6). Three Registration-mode trunks over UDP to a scripted
# SP-SSE (peers/udp_outbound_registrar.py, no Flow-Timer); its log of every
# REGISTER (Expires, To) is the verdict.
#  generation 2: alpha's keepalive_interval/timeout, register_expires and
#    back-off bases change: no REGISTER, trunkctl flows/registrations show
#    the new settings at once (keep-alive interval 8-10 s instead of 4-5 s);
#    beta's registration_aor changes: an un-REGISTER (Expires 0) of the old
#    AOR, then a REGISTER of the new one with the same +sip.instance and
#    reg-id; gamma is added: it registers; instance_id_file is moved (a
#    restart-only key): the new registrations keep the running instance-id.
#  generation 3: gamma removed: un-REGISTERed and gone from trunkctl;
#    alpha's password changed: alpha registers again at once, with the
#    Expires set in generation 2, without the old password (the carrier
#    checks digest for alpha's AOR: challenge, then the new password).
# A reload that fails keeps everything (test 003).
# REQ: none (reload of registration settings; DESIGN 11, no SIPconnect requirement)
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/flows.sh"
ti_setup

live=$TI_DIR/trunkd.conf
# install GEN: the default config with trunks-GEN.conf becomes the live one
# (atomically: trunkd never reads half a file).
install()
{
	ti_config_default --drop "trunk local" "$TI_TEST_DIR/trunks-$1.conf"
	flows_hook
	cp "$live" "$TI_DIR/next.conf"
	mv "$TI_DIR/next.conf" "$live"
}
install 1
rm -f "$TI_DIR/hook.log"
# The carrier asks alpha's AOR for digest with these credentials.
printf '+4930111 alpha first-secret\n' >"$TI_DIR/creds"
ti_start carrier python3 "$TI_ROOT/peers/udp_outbound_registrar.py" \
	127.0.0.1 "$(ti_port 5090)" 0 silent 1000000 "$TI_DIR/carrier-events.log" \
	"$TI_DIR/creds"
ti_wait_port udp 127.0.0.1 "$(ti_port 5090)" 10
ti_trunkd_start "$live"

regs() { grep " REGISTER " "$TI_DIR/carrier-events.log" || true; }
# nregs AOR-USER EXPIRES: REGISTERs to that AOR with that Expires so far.
nregs() { regs | grep -c "expires=$2 to=<sip:$1@carrier.invalid>" || true; }
reg_json() { ti_json "$(ti_ctl registrations)" "[t for t in j['trunks'] if t['trunk'] == '$1'][0]$2"; }
flow_json() { ti_json "$(ti_ctl flows)" "[f for f in j['flows'] if f['trunk'] == '$1'][0]$2"; }
registered() { [ "$(reg_json "$1" "['state']")" = registered ]; }

ti_wait_until 10 registered alpha || ti_fail "alpha did not register"
ti_wait_until 10 registered beta || ti_fail "beta did not register"
ti_json_check "$(ti_ctl flows)" "[(f['interval_source'], 4000 <= f['interval_ms'] <= 5000, f['keepalive_timeout_ms']) for f in j['flows'] if f['trunk'] == 'alpha'] == [('default', True, 2000)]" "alpha's flow, generation 1"
ti_json_check "$(ti_ctl registrations)" "[(t['expires_asked'], t['register_retry_s'], t['flow_retry_s']) for t in j['trunks'] if t['trunk'] == 'alpha'] == [(3600, [30, 960], [30, 90, 1800])]" "alpha's settings, generation 1"
n_alpha=$(nregs +4930111 3600)
[ "$n_alpha" = 1 ] || ti_fail "alpha: $n_alpha REGISTERs before the reload"
auths() { grep " AUTH +4930111 " "$TI_DIR/carrier-events.log" | cut -d' ' -f4 | tr '\n' ' '; }
[ "$(auths)" = "none ok " ] || ti_fail "alpha's digest at start: $(auths)"

# Generation 2, with instance_id_file moved (a restart-only key: the
# running instance-id stays, no new file).
install 2
sed -i "s|^instance_id_file = .*|instance_id_file = $TI_STATE/moved-instance-id|" "$live"
grep -q "^instance_id_file = $TI_STATE/moved-instance-id" "$live" || ti_fail "cannot move instance_id_file"
reply=$(ti_ctl reload) || ti_fail "reload 2: $reply"
ti_json_check "$reply" "j['ok'] is True and j['generation'] == 2" "reload 2"
ti_wait_until 10 registered gamma || ti_fail "gamma (added) did not register"
beta_moved() { [ "$(nregs +4930333 3600)" = 1 ] && [ "$(nregs +4930222 0)" = 1 ]; }
ti_wait_until 10 beta_moved || ti_fail "beta: no un-REGISTER of the old AOR and REGISTER of the new: $(regs)"
ti_wait_until 10 registered beta || ti_fail "beta not registered after the AOR change"
# The old binding went first, the new one came with the same instance and
# reg-id.
old=$(regs | grep -n 'expires=0 to=<sip:+4930222@' | cut -d: -f1)
new=$(regs | grep -n 'expires=3600 to=<sip:+4930333@' | cut -d: -f1)
[ "$old" -lt "$new" ] || ti_fail "beta: the new AOR registered before the old one was removed"
[ "$(regs | grep -o '+sip.instance="<urn:uuid:[0-9a-f-]*>";reg-id=1' | sort -u | wc -l)" = 1 ] ||
	ti_fail "instance or reg-id differ between registrations: $(regs)"
[ ! -e "$TI_STATE/moved-instance-id" ] || ti_fail "a reload made a new instance-id file"
ti_json_check "$(ti_ctl flows)" "[(f['interval_source'], 8000 <= f['interval_ms'] <= 10000, f['keepalive_timeout_ms']) for f in j['flows'] if f['trunk'] == 'alpha'] == [('default', True, 3000)]" "alpha's flow, generation 2"
ti_json_check "$(ti_ctl registrations)" "[(t['state'], t['expires_asked'], t['register_retry_s'], t['flow_retry_s']) for t in j['trunks'] if t['trunk'] == 'alpha'] == [('registered', 1800, [7, 960], [5, 90, 1800])]" "alpha's settings, generation 2"
ti_json_check "$(ti_ctl registrations)" "[t['aor'] for t in j['trunks'] if t['trunk'] == 'beta'] == ['sip:+4930333@carrier.invalid']" "beta's new AOR"
[ "$(regs | grep -c 'to=<sip:+4930111@')" = 1 ] || ti_fail "alpha registered again for new timers: $(regs)"
grep -q '^registration|beta|removed|' "$TI_DIR/hook.log" || ti_fail "the hook did not see beta's old registration removed"

# Generation 3 (the carrier knows alpha's new password from now on).
printf '+4930111 alpha second-secret\n' >"$TI_DIR/creds"
install 3
reply=$(ti_ctl reload) || ti_fail "reload 3: $reply"
ti_json_check "$reply" "j['ok'] is True and j['generation'] == 3" "reload 3"
gamma_gone() { [ "$(nregs +4930444 0)" = 1 ]; }
ti_wait_until 10 gamma_gone || ti_fail "gamma (removed) was not un-REGISTERed: $(regs)"
alpha_again() { [ "$(nregs +4930111 1800)" = 1 ]; }
ti_wait_until 10 alpha_again || ti_fail "alpha did not register again (Expires 1800) after its password changed: $(regs)"
gone() { ti_json_check "$(ti_ctl registrations)" "sorted(t['trunk'] for t in j['trunks']) == ['alpha', 'beta']" "trunks after reload 3"; }
ti_wait_until 5 gone
ti_json_check "$(ti_ctl flows)" "sorted(f['trunk'] for f in j['flows']) == ['alpha', 'beta']" "flows after reload 3"
[ "$(nregs +4930111 0)" = 0 ] || ti_fail "alpha was unregistered"
# The old password was dropped with the reload (no REGISTER with it: no
# "bad"); the carrier's new challenge was answered with the new one.
[ "$(auths)" = "none ok none ok " ] || ti_fail "alpha's digest after the password change: $(auths)"
grep -q '^registration|gamma|removed|' "$TI_DIR/hook.log" || ti_fail "the hook did not see gamma removed"
ti_running trunkd || ti_fail "trunkd died"
ti_pass
