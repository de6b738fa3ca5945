#!/usr/bin/env bash
# tests/metrics/web.sh: ipvsadm-exporter's HTTP side on this host's loopback, with real
# clients (curl, openssl): --web.listen-address, --web.telemetry-path, and
# --web.config.file (the exporter-toolkit's format) with TLS, a client CA and basic
# authentication with bcrypt hashes (made by Apache's htpasswd), read again for each
# connection. This host has no IPVS: the exporter serves `ipvs_up 0`, which is all the
# HTTP side needs.
#
#   tests/metrics/web.sh [EXPORTER]      (default: the release build's)
# Prints `ok - ...` / `not ok - ...` and `N passed, N failed`; exits non-zero on a failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$repo/tests/apt.sh"
exporter=${1:-$("$repo/tests/release-dir.sh")/ipvsadm-exporter}
exporter=$(realpath "$exporter" 2>/dev/null) && [ -x "$exporter" ] || { echo "web.sh: $exporter missing (cargo build --release)" >&2; exit 2; }
for t in curl openssl htpasswd; do
	command -v $t >/dev/null && continue
	echo "web.sh: installing $t (Debian's curl, openssl, apache2-utils)" >&2
	apt_install curl openssl apache2-utils 2>/dev/null
	command -v $t >/dev/null || { echo "web.sh: $t not available" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
# ok, bad and checks_done: the VM suites' own.
. "$repo/tests/vm/checks.sh"
# start NAME ARGS...: an exporter on a free loopback port; its port in $port, log in
# $work/NAME.log. Waits (bounded) for the line that says where it serves.
start() {
	local name=$1 n=0
	shift
	: >"$work/$name.log"
	"$exporter" "$@" 2>>"$work/$name.log" &
	pids+=($!)
	port=
	while [ -z "$port" ] && [ $n -lt 100 ]; do
		port=$(sed -n 's|.*serving .* on https\{0,1\}://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$work/$name.log" | head -n 1)
		[ -n "$port" ] || { sleep 0.1; n=$((n + 1)); }
	done
	[ -n "$port" ] || bad "$name: the exporter started" "$(cat "$work/$name.log")"
}
# code ARGS...: the HTTP status curl gets (000: no HTTP answer).
code() { curl -s -o "$work/body" -w '%{http_code}' --max-time 30 "$@"; }

# A CA, a server certificate for 127.0.0.1 and localhost, a client certificate, and a
# client certificate from another CA.
cd "$work"
ca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout "$1.key" -out "$1.crt" 2>/dev/null; }
leaf() { # leaf NAME CA EXT
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null &&
		printf '%s\n' "$3" >"$1.ext" &&
		openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
			-extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca ca && ca otherca &&
	leaf server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" &&
	leaf client ca "extendedKeyUsage=clientAuth" &&
	leaf stranger otherca "extendedKeyUsage=clientAuth" ||
	{ echo "web.sh: openssl could not make the certificates" >&2; exit 2; }
hash=$(htpasswd -nbBC 10 alice 's3cret pass' | cut -d: -f2)

# 1. Plain HTTP: --listen kept as an alias, the telemetry path, a host name.
start plain --listen 127.0.0.1:0 --web.telemetry-path /probe
c=$(code "http://127.0.0.1:$port/probe")
if [ "$c" = 200 ] && grep -q '^ipvs_up 0$' body && grep -q '^ipvsadm_exporter_build_info{version="' body &&
	grep -q '^ipvsadm_exporter_scrape_errors_total [1-9]' body &&
	[ "$(code "http://127.0.0.1:$port/metrics")" = 404 ]; then
	ok "--listen and --web.telemetry-path /probe: the metrics there (ipvs_up 0, build_info, scrape errors), 404 at /metrics"
else
	bad "--web.telemetry-path" "status $c" "$(head -n 5 body)"
fi
start byname --web.listen-address localhost:0
grep -q 'serving /metrics on http://127.0.0.1:' "$work/byname.log" && [ "$(code "http://127.0.0.1:$port/metrics")" = 200 ] &&
	ok "--web.listen-address localhost:0 listens on localhost's address" || bad "a host name" "$(cat "$work/byname.log")"
start two --web.listen-address 127.0.0.1:0 --web.listen-address '[::1]:0'
if grep -q 'on http://\[::1\]:' "$work/two.log"; then
	p6=$(sed -n 's|.*on http://\[::1\]:\([0-9]*\)$|\1|p' "$work/two.log")
	[ "$(code "http://127.0.0.1:$port/metrics")" = 200 ] && [ "$(code "http://[::1]:$p6/metrics")" = 200 ] &&
		ok "--web.listen-address twice: both serve" || bad "two listen addresses" "$(cat "$work/two.log")"
else
	bad "two listen addresses" "$(cat "$work/two.log")"
fi
"$exporter" --web.listen-address 9617 2>"$work/badaddr.log"
rc=$?
[ $rc = 2 ] && grep -q 'expected HOST:PORT' "$work/badaddr.log" &&
	ok "--web.listen-address 9617 is refused (status 2)" || bad "a bad listen address: status $rc" "$(cat "$work/badaddr.log")"

# 2. TLS and basic authentication.
cat >web.yml <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: $hash
EOF
start tls --web.listen-address 127.0.0.1:0 --web.config.file "$work/web.yml"
url=https://127.0.0.1:$port/metrics
c1=$(code --cacert ca.crt -u 'alice:s3cret pass' "$url")
grep -q '^ipvs_up 0$' body && b1=yes || b1=no
c2=$(code --cacert ca.crt "$url")
c3=$(code --cacert ca.crt -u 'alice:wrong' "$url")
c4=$(code --cacert ca.crt -u 'bob:s3cret pass' "$url")
c5=$(code -u 'alice:s3cret pass' "http://127.0.0.1:$port/metrics")
c6=$(code --cacert otherca.crt -u 'alice:s3cret pass' "$url")
if [ "$c1$b1" = 200yes ] && [ "$c2" = 401 ] && [ "$c3" = 401 ] && [ "$c4" = 401 ] && [ "$c5" = 000 ] && [ "$c6" = 000 ]; then
	ok "TLS with basic auth: the right credentials 200 with the metrics; none, a wrong password, an unknown user 401; plain HTTP and an untrusted server certificate no answer"
else
	bad "TLS with basic auth" "right $c1 (metrics: $b1), none $c2, wrong $c3, unknown $c4, plain $c5, other CA $c6" "$(cat "$work/tls.log")"
fi
echo | openssl s_client -connect "127.0.0.1:$port" -CAfile ca.crt -verify_return_error >s_client.out 2>&1 &&
	grep -q 'Verify return code: 0 (ok)' s_client.out &&
	ok "openssl s_client verifies the exporter's certificate" || bad "openssl s_client" "$(tail -n 5 s_client.out)"

# 3. Client certificates, and the file read again for each connection.
cat >mtls.yml <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
EOF
start mtls --web.listen-address 127.0.0.1:0 --web.config.file "$work/mtls.yml"
url=https://127.0.0.1:$port/metrics
c1=$(code --cacert ca.crt --cert client.crt --key client.key "$url")
c2=$(code --cacert ca.crt "$url")
c3=$(code --cacert ca.crt --cert stranger.crt --key stranger.key "$url")
[ "$c1" = 200 ] && [ "$c2" = 000 ] && [ "$c3" = 000 ] &&
	ok "RequireAndVerifyClientCert: a client certificate of the CA 200; none, or another CA's, refused" ||
	bad "client certificates" "ours $c1, none $c2, other CA $c3" "$(cat "$work/mtls.log")"
# The same exporter, the file changed: the next connection uses basic auth over TLS.
cat >mtls.yml <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: $hash
EOF
c1=$(code --cacert ca.crt "$url")
c2=$(code --cacert ca.crt -u 'alice:s3cret pass' "$url")
[ "$c1" = 401 ] && [ "$c2" = 200 ] &&
	ok "the web configuration is read again for each connection (now basic auth, no client certificate)" ||
	bad "the web configuration read again" "none $c1, alice $c2" "$(cat "$work/mtls.log")"

# 4. A configuration that cannot work is refused at start.
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n' >broken.yml
printf 'basic_auth_users:\n  alice: plaintext\n' >plain.yml
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_versoin: TLS13\n' >typo.yml
for f in broken plain typo; do
	"$exporter" --web.listen-address 127.0.0.1:0 --web.config.file "$work/$f.yml" 2>"$work/$f.log"
	rc=$?
	[ $rc = 2 ] && grep -q '^ipvsadm-exporter: --web.config.file: ' "$work/$f.log" &&
		ok "--web.config.file $f.yml refused at start: $(cut -c 1-110 "$work/$f.log")" ||
		bad "--web.config.file $f.yml: status $rc" "$(cat "$work/$f.log")"
done
checks_done
