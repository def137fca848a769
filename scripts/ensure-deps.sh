#!/usr/bin/env bash
# Installs what building and testing need, once per machine, and skips each step when it is
# already done. Caches live outside the checkout so a fresh clone (what CI runs) reuses them.
#   scripts/ensure-deps.sh build   Debian packages for compiling the program
#   scripts/ensure-deps.sh test    the above, plus the test tools, the Python virtualenv and
#                                  telemetrygen and versitygw (built with Go into $cache/bin)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${OTLP2PARQUET_CACHE:-$HOME/.cache/otlp2parquet}
mkdir -p "$cache"

build_pkgs="gcc make pkg-config libmicrohttpd-dev libzstd-dev libsnappy-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev libssl-dev"
test_pkgs="clang libclang-rt-14-dev"

apt_ensure() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ensure-deps: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

venv_ensure() {
  local venv="$cache/venv" req="$here/tests/requirements.txt"
  local stamp="$venv/.requirements.sha256" want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "ensure-deps: building the test virtualenv in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
}

# telemetrygen, the OpenTelemetry Collector's load generator, which the end-to-end tests run as
# a real OTLP/HTTP client. Built from source with `go install`; Debian's golang-go is used when
# there is no Go yet (GOTOOLCHAIN=auto lets an older go fetch the toolchain the module needs).
telemetrygen_version=v0.161.0
go_install() {
  local go
  go=$(command -v go || true)
  [ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
  if [ -z "$go" ]; then
    apt_ensure golang-go
    go=$(command -v go)
  fi
  echo "ensure-deps: installing $1 into $cache/bin" >&2
  mkdir -p "$cache/bin"
  GOBIN="$cache/bin" GOTOOLCHAIN=${GOTOOLCHAIN:-auto} GOFLAGS=${GOFLAGS:--buildvcs=false} "$go" install "$1"
}
telemetrygen_ensure() {
  [ -x "$cache/bin/telemetrygen" ] && return 0
  go_install "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$telemetrygen_version"
}

# versitygw, an S3 gateway over a local directory that checks SigV4 signatures and payload
# hashes strictly: the S3 end-to-end tests run against it.
versitygw_version=v1.7.0
versitygw_ensure() {
  local bin="$cache/bin/versitygw"
  [ -x "$bin" ] && return 0
  go_install "github.com/versity/versitygw/cmd/versitygw@$versitygw_version"
}

# The AWS Lambda Runtime Interface Emulator: runs the Lambda mode (bootstrap) as Lambda does, for
# the Lambda end-to-end tests (tests/e2e/test_lambda_runtime.py).
lambda_rie_version=v0.0.0-20261030222936-bef5c4ba774d
lambda_rie_ensure() {
  [ -x "$cache/bin/aws-lambda-rie" ] && return 0
  go_install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$lambda_rie_version"
}

# Apache Iceberg's REST catalog fixture (RESTCatalogServer, a self-contained jar) for the
# Iceberg end-to-end tests; Java 17 runs it. Fetched once with Maven. The jar bundles iceberg-aws
# (S3FileIO) and the AWS SDK v2, so the same jar serves a warehouse on versitygw (conftest.py).
iceberg_rest_version=1.10.1
iceberg_rest_ensure() {
  local dir="$cache/jars" jar="$cache/jars/iceberg-open-api-$iceberg_rest_version.jar"
  [ -s "$jar" ] && return 0
  mkdir -p "$dir"
  command -v java >/dev/null || apt_ensure openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_ensure maven
  echo "ensure-deps: fetching iceberg-open-api $iceberg_rest_version into $dir" >&2
  mvn -q dependency:copy -Dartifact="org.apache.iceberg:iceberg-open-api:$iceberg_rest_version" -DoutputDirectory="$dir"
}

case "${1:-build}" in
  build) apt_ensure $build_pkgs ;;
  test)  apt_ensure $build_pkgs $test_pkgs; venv_ensure; telemetrygen_ensure; versitygw_ensure; lambda_rie_ensure; iceberg_rest_ensure ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
