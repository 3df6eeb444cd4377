#!/usr/bin/env bash
# tls_test.sh ETCHSIM: mutual TLS between every etchsim process.
# Generates a CA and a certificate for 127.0.0.1 with openssl, then checks
# that (1) a run over chip processes with --tls-* is byte-identical to the
# in-process one, (2) a TLS chip refuses a plaintext client and a client
# with a certificate from another CA, (3) a TLS client gets SERVING, and
# (4) bad TLS flags and files (a key that is not the certificate's, a
# truncated certificate, a certificate the CA did not sign) are one line
# and exit 2.
set -u
etchsim=$1
dir=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "tls: $*"; exit 1; }

mkcert() {  # mkcert NAME CA_NAME: a CA and a leaf cert for 127.0.0.1 signed by it
  local ca=$2
  if [[ ! -f $dir/$ca.pem ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$ca" \
      -keyout "$dir/$ca.key" -out "$dir/$ca.pem" 2>/dev/null || fail "openssl CA"
  fi
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$dir/$1.key" \
    -out "$dir/$1.csr" 2>/dev/null || fail "openssl csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/$1.ext"
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2>/dev/null ||
    fail "openssl sign"
}
mkcert node ca
mkcert stranger otherca
tls=(--tls-cert="$dir/node.pem" --tls-key="$dir/node.key" --tls-ca="$dir/ca.pem")

args=(--model llama-3.1-70b --chips 4 --users 2 --requests 4 --format=json)
"$etchsim" simulate "${args[@]}" >"$dir/inproc.json" || fail "in-process run failed"
"$etchsim" simulate "${args[@]}" --distributed=local "${tls[@]}" >"$dir/tls.json" \
  2>"$dir/tls.err" || { tail -5 "$dir/tls.err"; fail "TLS run failed"; }
cmp -s "$dir/inproc.json" "$dir/tls.json" || fail "TLS report differs from in-process"

"$etchsim" chip serve --listen 127.0.0.1:0 "${tls[@]}" >"$dir/serve.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/serve.out" && break; sleep 0.1; done
addr=$(sed -n 's/^etchsim chip listening on \([^ ]*\) .*/\1/p' "$dir/serve.out")
[[ -n $addr ]] || fail "chip serve did not announce"
"$etchsim" health "$addr" "${tls[@]}" | grep -q SERVING || fail "TLS health check failed"
"$etchsim" health "$addr" >/dev/null 2>&1 && fail "plaintext client was served"
"$etchsim" health "$addr" --tls-cert="$dir/stranger.pem" --tls-key="$dir/stranger.key" \
  --tls-ca="$dir/otherca.pem" >/dev/null 2>&1 && fail "client from another CA was served"

check2() {  # check2 EXPECTED ARGS...: exit 2, one stderr line containing EXPECTED
  local want=$1
  shift
  "$etchsim" "$@" >/dev/null 2>"$dir/e"
  local rc=$?
  [[ $rc -eq 2 && $(wc -l <"$dir/e") -eq 1 ]] && grep -qF -- "$want" "$dir/e" ||
    fail "$* -> exit $rc: $(cat "$dir/e")"
}
check2 "--tls-ca: missing" health "$addr" --tls-cert="$dir/node.pem" --tls-key="$dir/node.key"
check2 "--tls-key: $dir/node.pem: not a PEM file" health "$addr" --tls-cert="$dir/node.pem" \
  --tls-key="$dir/node.pem" --tls-ca="$dir/ca.pem"
check2 "--tls-cert: /nonexistent.pem: no such file" chip serve --tls-cert=/nonexistent.pem \
  --tls-key="$dir/node.key" --tls-ca="$dir/ca.pem"
# Checked up front with OpenSSL: once four lines of gRPC logging and
# "address in use", or a gRPC dump and "empty address list" after 5 s.
check2 "--tls-key: $dir/stranger.key: is not the key of the certificate in $dir/node.pem" \
  chip serve --listen 127.0.0.1:0 --tls-cert="$dir/node.pem" --tls-key="$dir/stranger.key" \
  --tls-ca="$dir/ca.pem"
head -c 600 "$dir/node.pem" >"$dir/truncated.pem"
check2 "--tls-cert: $dir/truncated.pem: certificate 1 of 1 does not parse" simulate \
  --model llama-3.1-8b --chip hc1 --chips 1 --requests 1 --distributed=local \
  --tls-cert="$dir/truncated.pem" --tls-key="$dir/node.key" --tls-ca="$dir/ca.pem"
check2 "--tls-cert: $dir/stranger.pem: does not verify against --tls-ca $dir/ca.pem" health \
  "$addr" --tls-cert="$dir/stranger.pem" --tls-key="$dir/stranger.key" --tls-ca="$dir/ca.pem"
echo "tls: identical report over TLS, plaintext and foreign clients refused, bad flags exit 2"
