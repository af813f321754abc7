#!/usr/bin/env bash
# Throwaway PKI for one test environment: a CA, the apiserver serving cert (also kwok's),
# the admin client cert (system:masters), a restricted user, the service-account key pair, and for
# aggregation the front-proxy CA and the API server's front-proxy client cert.
set -euo pipefail
PKI=$1
mkdir -p "$PKI"; cd "$PKI"
q() { "$@" >/dev/null 2>&1 || { echo "openssl failed: $*" >&2; exit 1; }; }
q openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.crt -subj "/CN=skiff-test-ca"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth,clientAuth" \
  "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" > server.ext
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth" > client.ext
leaf() { # name subject extfile [ca]
  q openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "$2"
  q openssl x509 -req -sha256 -days 3650 -in "$1.csr" -CA "${4:-ca}.crt" -CAkey "${4:-ca}.key" -CAcreateserial -out "$1.crt" -extfile "$3"
  rm -f "$1.csr"
}
leaf apiserver "/CN=kube-apiserver" server.ext
leaf admin "/O=system:masters/CN=skiff-admin" client.ext
leaf restricted "/O=skiff-tenants/CN=skiff-restricted" client.ext
# Aggregation: the API server proxies to aggregated APIs (view.skiff.dev) with this client certificate,
# signed by a CA of its own, as kubeadm does (a certificate of the client CA could pose as any user).
q openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout front-proxy-ca.key -out front-proxy-ca.crt -subj "/CN=skiff-front-proxy-ca"
leaf front-proxy-client "/CN=front-proxy-client" client.ext front-proxy-ca
q openssl genrsa -out sa.key 2048
q openssl rsa -in sa.key -pubout -out sa.pub
