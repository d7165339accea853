#!/bin/sh
# certs/test-pki.sh OUTDIR: the test PKI of trunkd (STYLE.md 18), generated at
# test time with the openssl CLI. Nothing it writes is ever committed.
#
# Fast (one RSA key; the CAs use EC P-256) and deterministic in its file
# names (not in its keys). Every leaf certificate uses the RSA key leaf.key
# (ECDHE-RSA-AES128-GCM-SHA256, TLS-2, needs an RSA server key).
#
# Files in OUTDIR:
#   ca.pem, ca.key              root CA "trunkd test root CA" (EC)
#   inter.pem, inter.key        intermediate CA under ca.pem (EC)
#   untrusted-ca.pem, .key      a second root nobody trusts (EC)
#   leaf.key                    RSA-2048 key of every leaf certificate
#   leaf-enc.key, leaf-enc.pass the same key, AES-256 encrypted; its passphrase
#   wrong.key                   an EC key matching no certificate
#   carrier.pem    CN=carrier.test, SAN URI:sip:carrier.test, DNS:carrier.test,
#                  DNS:localhost, IP:127.0.0.1, IP:::1 (ca.pem)
#   gw.pem         CN=gw.enterprise.test, SAN URI:sip:gw.enterprise.test,
#                  DNS:gw.enterprise.test, DNS:localhost, IP:127.0.0.1 (ca.pem)
#   uri-only.pem   CN=carrier.test, SAN URI:sip:carrier.test only (ca.pem)
#   cn-only.pem    CN=carrier.test, no subjectAltName at all (ca.pem)
#   cn-ignored.pem CN=carrier.test, SAN DNS:other.test (the CN must not count)
#   ip-only.pem    CN=127.0.0.1, SAN IP:127.0.0.1 only (ca.pem)
#   expired.pem    as carrier.pem, valid 2020-01-01 .. 2021-01-01
#   future.pem     as carrier.pem, valid from 2099-01-01
#   untrusted.pem  as carrier.pem, signed by untrusted-ca.pem
#   wronghost.pem  CN=wrong.test, SAN URI:sip:wrong.test, DNS:wrong.test
#   revoked.pem    as carrier.pem, revoked in index.txt
#   inter-leaf.pem as carrier.pem, signed by inter.pem (leaf only)
#   chain.pem      inter-leaf.pem + inter.pem (leaf followed by its chain)
#   ocsp.pem       OCSP responder (extendedKeyUsage OCSPSigning) under ca.pem,
#                  key leaf.key
#   index.txt      the root CA's database for `openssl ocsp -index`: every
#                  leaf issued by ca.pem, revoked.pem revoked (V and R lines)
#   ocsp-good.der, ocsp-revoked.der
#                  OCSP responses (by ocsp.pem, valid 1 day) for carrier.pem
#                  and revoked.pem
#   ocsp-badsig.der  a response for carrier.pem signed by wronghost.pem (a
#                  certificate without OCSPSigning: not an authorized
#                  responder)
#   ca.cnf, serial, newcerts/   openssl ca state
#
# A responder:  openssl ocsp -index OUTDIR/index.txt -CA OUTDIR/ca.pem \
#                 -rsigner OUTDIR/ocsp.pem -rkey OUTDIR/leaf.key -port N
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
mkdir -p "$out"
cd "$out"
rm -f index.txt* serial* ./*.pem ./*.key ./*.der ./*.csr ./*.pass ca.cnf
umask 077

ossl() {
	openssl "$@" 2>openssl.err || {
		cat openssl.err >&2
		echo "$0: openssl $1 failed" >&2
		exit 1
	}
}

# openssl ca: dates, extensions and the index that `openssl ocsp` serves.
cat >ca.cnf <<'EOF'
[ca]
default_ca = ca_root
[ca_root]
dir = .
database = ./index.txt
serial = ./serial
new_certs_dir = ./newcerts
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_ocsp]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, OCSPSigning
[san_carrier]
subjectAltName = URI:sip:carrier.test, DNS:carrier.test, DNS:localhost, IP:127.0.0.1, IP:::1
[san_gw]
subjectAltName = URI:sip:gw.enterprise.test, DNS:gw.enterprise.test, DNS:localhost, IP:127.0.0.1
[san_uri_only]
subjectAltName = URI:sip:carrier.test
[san_cn_ignored]
subjectAltName = DNS:other.test
[san_ip_only]
subjectAltName = IP:127.0.0.1
[san_wrong]
subjectAltName = URI:sip:wrong.test, DNS:wrong.test
[san_none]
EOF

: >index.txt
rm -rf newcerts
mkdir newcerts
echo 1000 >serial
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key
echo "test-passphrase" >leaf-enc.pass
ossl pkey -in leaf.key -aes256 -passout file:leaf-enc.pass -out leaf-enc.key
for k in ca inter untrusted-ca wrong; do
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $k.key
done

# Roots are self-signed with req -x509 (not in the index).
ossl req -new -x509 -config ca.cnf -extensions v3_ca -key ca.key \
	-subj "/CN=trunkd test root CA" -days 3650 -out ca.pem
ossl req -new -x509 -config ca.cnf -extensions v3_ca -key untrusted-ca.key \
	-subj "/CN=trunkd untrusted CA" -days 3650 -out untrusted-ca.pem

# sign NAME CN SAN-SECTION CA-BASENAME EXTENSIONS [openssl ca date options]
sign() {
	name=$1 cn=$2 san=$3 ca=$4 ext=$5
	shift 5
	key=leaf.key
	[ "$ext" = v3_ca ] && key=$name.key
	ossl req -new -config ca.cnf -key "$key" -subj "/CN=$cn" -out "$name.csr"
	# The SAN section joins the extension section through a small file.
	{
		echo "[ext]"
		sed -n "/^\[$ext\]/,/^\[/p" ca.cnf | sed '1d;/^\[/d'
		sed -n "/^\[$san\]/,/^\[/p" ca.cnf | sed '1d;/^\[/d'
	} >"$name.ext"
	if [ "$ca" = ca ]; then
		ossl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-extfile "$name.ext" -extensions ext -notext \
			-in "$name.csr" -out "$name.pem" "$@"
	else
		# Other issuers keep no database: openssl x509 -req.
		ossl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -sha256 \
			-extfile "$name.ext" -extensions ext -out "$name.pem" \
			"$@"
	fi
	rm -f "$name.csr" "$name.ext"
}

sign inter "trunkd test intermediate CA" san_none ca v3_ca -days 3650
sign carrier carrier.test san_carrier ca v3_leaf -days 30
sign gw gw.enterprise.test san_gw ca v3_leaf -days 30
sign uri-only carrier.test san_uri_only ca v3_leaf -days 30
sign cn-only carrier.test san_none ca v3_leaf -days 30
sign cn-ignored carrier.test san_cn_ignored ca v3_leaf -days 30
sign ip-only 127.0.0.1 san_ip_only ca v3_leaf -days 30
sign expired carrier.test san_carrier ca v3_leaf \
	-startdate 20200101000000Z -enddate 20210101000000Z
sign future carrier.test san_carrier ca v3_leaf \
	-startdate 20990101000000Z -enddate 20991231000000Z
sign wronghost wrong.test san_wrong ca v3_leaf -days 30
sign revoked carrier.test san_carrier ca v3_leaf -days 30
sign ocsp "trunkd test OCSP responder" san_none ca v3_ocsp -days 30
sign untrusted carrier.test san_carrier untrusted-ca v3_leaf -days 30
sign inter-leaf carrier.test san_carrier inter v3_leaf -days 30
cat inter-leaf.pem inter.pem >chain.pem

ossl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.pem \
	-crl_reason keyCompromise

# OCSP responses, as a responder would give them (for stapling, TLS-7).
for c in carrier revoked; do
	ossl ocsp -issuer ca.pem -cert $c.pem -no_nonce -reqout $c.req
	ossl ocsp -index index.txt -CA ca.pem -rsigner ocsp.pem -rkey leaf.key \
		-reqin $c.req -ndays 1 -respout ocsp-$c.der
	rm -f $c.req
done
mv ocsp-carrier.der ocsp-good.der
# A response for carrier.pem signed by a certificate without OCSPSigning.
ossl ocsp -issuer ca.pem -cert carrier.pem -no_nonce -reqout carrier.req
ossl ocsp -index index.txt -CA ca.pem -rsigner wronghost.pem -rkey leaf.key \
	-reqin carrier.req -ndays 1 -respout ocsp-badsig.der
rm -f carrier.req
rm -f openssl.err ./*.csr
# Certificates are public; keys stay 0600 (umask).
chmod 644 ./*.pem
