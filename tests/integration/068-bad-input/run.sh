#!/usr/bin/env bash
# 068-bad-input: odd input from the PBX gets a defined outcome on the wire
# and trunkd keeps running (issue 4 "Bad input"):
#  1. dialled strings: letters -> 404; 40 digits -> 404; *31#NUMBER (the
#     '#' escaped %23, as a phone sends it) -> E.164 call, restricted;
#     *21# -> the dial string sip:*21%23@carrier; blanks (%20) and
#     (...)- separators -> removed, E.164 call; a user part with
#     ;isub= -> 404; 300 digits -> 404;
#  2. URIs: a Request-URI with odd parameters is routed on its user part;
#     a tel: Request-URI with phone-context -> 416; a trusted PBX's
#     P-Asserted-Identity as a tel: URI with phone-context (not E.164)
#     or with a 2,000-digit user -> ignored, the default identity;
#  3. oversized headers: a 3,000-character display name -> the call goes
#     out without it (never a cut From); a 20 kB unknown header -> not
#     passed, the call goes out.
# After all of it trunkd answers trunkctl status.
# REQ: ID-6, ID-7, ID-8, ID-9, ID-10
. "$(dirname "$0")/../lib.sh"
. "$TI_ROOT/expect.sh"
ti_setup

cat "$SOURCE_ROOT/config/trunkd.conf" "$TI_TEST_DIR/extra.conf" |
	sed 's|^\[dialplan\]$|[dialplan]\nfile = test.dialplan|' >"$TI_DIR/src.conf"
cp "$TI_TEST_DIR/test.dialplan" "$TI_DIR/"
ti_config "$TI_DIR/src.conf" "$TI_DIR/trunkd.conf"
sed -i 's/^keepalive = options$/keepalive = off/' "$TI_DIR/trunkd.conf"
ti_trunkd_start "$TI_DIR/trunkd.conf"
ti_wait_port udp 127.0.0.1 "$(ti_port 5060)" 10
ENT="127.0.0.1:$(ti_port 5060)"
TE_FROM='<sip:[caller]@[local_ip]:[local_port]>'
site='<sip:\+15550100000@carrier\.invalid;user=phone>'
n=0

# refused DIALLED CODE: the PBX's call ends with CODE (the carrier, not
# listening, would make it 408/503 if the call left).
refused()
{
	n=$((n + 1))
	te_uac "refused-$n" 127.0.0.1 5070 "$ENT" "$1" "$2"
}

# reaches NAME DIALLED RURI_RE [UAS ARG...] -- [UAC HEADER...]: the
# carrier gets the call with that R-URI and the UAS assertions.
reaches()
{
	local name=$1 dialled=$2 ruri=$3 uas=() uac=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do uas+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	uac=("$@")
	te_uas "car-$name" 127.0.0.1 5090 --ruri "$ruri" "${uas[@]}"
	te_uac "pbx-$name" 127.0.0.1 5070 "$ENT" "$dialled" 200 "${uac[@]}"
	te_uas_done "car-$name"
}

# 1. Dialled strings.
refused 12ab 404
refused "$(printf '5%.0s' {1..40})" 404
refused "$(printf '5%.0s' {1..300})" 404
refused '2125551234;isub=5' 404
reaches star-hash '*31%232125551234' 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr From '"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=[^;]+' \
	--hdr P-Asserted-Identity "$site" --hdr Privacy id
reaches code '*21%23' 'sip:\*21%23@carrier\.invalid' \
	--hdr To '<sip:\*21%23@carrier\.invalid>' --hdr P-Asserted-Identity "$site"
reaches blanks '212%20555%201234' 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site"
reaches separators '(212)555-1234' 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site"

# 2. URIs.
TE_RURI="sip:2125551234@$ENT;user=phone;foo=bar;isub=77;x=%41" \
	reaches odd-params 2125551234 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site"
TE_RURI='tel:2125551234;phone-context=+1' refused 2125551234 416
reaches tel-pai 2125551234 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site" --hdr From "$site;tag=[^;]+" -- \
	'P-Asserted-Identity: <tel:5550100001;phone-context=+1555>'
reaches long-pai 2125551234 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site" -- \
	"P-Asserted-Identity: <sip:+$(printf '1%.0s' {1..2000})@127.0.0.1;user=phone>"

# 3. Oversized headers.
TE_FROM="\"$(printf 'A%.0s' {1..3000})\" <sip:[caller]@[local_ip]:[local_port]>" \
	reaches long-name 2125551234 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr From "$site;tag=[^;]+" --hdr P-Asserted-Identity "$site"
reaches long-header 2125551234 'sip:\+12125551234@carrier\.invalid;user=phone' \
	--hdr P-Asserted-Identity "$site" --absent X-Junk -- \
	"X-Junk: $(printf 'j%.0s' {1..20000})"

ti_running trunkd || ti_fail "trunkd died"
st=$(ti_ctl status) || ti_fail "trunkctl status: $st"
ti_json_check "$st" "j['ok'] is True" "trunkctl status"
ti_pass
