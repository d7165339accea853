#!/bin/sh
# Install everything trunkd needs to build and test, from Debian 12 packages
# only. Idempotent and non-interactive; run as root (or through sudo).
set -eu

# clang and libbpf-dev: [media] kernel_forwarding's tc program (built
# only when meson finds both; without them trunkd builds without it).
BUILD_PKGS="gcc pkg-config meson ninja-build
	libsofia-sip-ua-dev libssl-dev libsrtp2-dev libspandsp-dev libsqlite3-dev
	libjemalloc-dev
	clang libbpf-dev"
TEST_PKGS="sip-tester baresip-core kamailio kamailio-tls-modules
	kamailio-outbound-modules tshark stunnel4 dnsmasq-base iproute2 openssl
	python3 procps ca-certificates clang libclang-rt-14-dev bpftool"

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections

missing=""
for p in $BUILD_PKGS ${TRUNKD_BUILD_ONLY:+} $( [ -n "${TRUNKD_BUILD_ONLY:-}" ] || echo $TEST_PKGS ); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
echo "install-deps: installing:$missing"
apt-get update -qq
# kamailio's package starts a service on install; the tests run their own.
apt-get install -y -qq --no-install-recommends $missing
