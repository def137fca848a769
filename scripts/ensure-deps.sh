#!/usr/bin/env bash
# Installs what building and testing need, once per machine, and skips each step when it is
# already done. Caches live outside the checkout so a fresh clone (what CI runs) reuses them.
#   scripts/ensure-deps.sh build   Debian packages for compiling the program
#   scripts/ensure-deps.sh test    the above, plus the test tools, the Python virtualenv and
#                                  telemetrygen and versitygw (built with Go into $cache/bin)
#                                  and what the Lambda zip tests need (both lambda-* modes,
#                                  qemu-user-static, aws-lambda-rie)
#   scripts/ensure-deps.sh lambda-x86_64   what `make lambda-zip ARCH=x86_64` needs
#   scripts/ensure-deps.sh lambda-arm64    what `make lambda-zip ARCH=arm64` needs: Debian's aarch64
#                                  cross compiler and the arm64 -dev packages (dpkg multiarch)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${OTLP2PARQUET_CACHE:-$HOME/.cache/otlp2parquet}
mkdir -p "$cache"

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libzstd-dev libsnappy-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev libssl-dev)
test_pkgs=(clang libclang-rt-14-dev qemu-user-static shellcheck awscli unzip jq)
lambda_pkgs=(gcc make patchelf zip ca-certificates binutils)
lambda_arm64_pkgs=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libmicrohttpd-dev:arm64 libzstd-dev:arm64 libsnappy-dev:arm64 zlib1g-dev:arm64 libjansson-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64)

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

# arm64 packages come from the same Debian mirror once dpkg knows the architecture (apt_ensure
# runs apt-get update when it installs anything).
arm64_arch_ensure() {
  dpkg --print-foreign-architectures | grep -qx arm64 && return 0
  echo "ensure-deps: adding the arm64 architecture to dpkg (multiarch)" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo dpkg --add-architecture arm64
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

# The AWS Lambda Runtime Interface Emulator: runs the Lambda mode (bootstrap) as Lambda does, for
# tests/e2e/test_lambda_runtime.py and test_lambda_zip.py. Built
# static (CGO_ENABLED=0): the Lambda zip tests copy it into a chroot that has no libc of the host's,
# so a dynamically linked one found in the cache is rebuilt.
lambda_rie_version=v0.0.0-20261030222936-bef5c4ba774d
lambda_rie_ensure() {
  local bin="$cache/bin/aws-lambda-rie"
  [ -x "$bin" ] && ! readelf -l "$bin" | grep -q 'program interpreter' && return 0
  rm -f "$bin"
  CGO_ENABLED=0 go_install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$lambda_rie_version"
}

case "${1:-build}" in
  build) apt_ensure "${build_pkgs[@]}" ;;
  lambda-x86_64) apt_ensure "${lambda_pkgs[@]}" "${build_pkgs[@]}" ;;
  lambda-arm64) arm64_arch_ensure; apt_ensure "${lambda_pkgs[@]}" "${lambda_arm64_pkgs[@]}" ;;
  test)  arm64_arch_ensure
         apt_ensure "${build_pkgs[@]}" "${test_pkgs[@]}" "${lambda_pkgs[@]}" "${lambda_arm64_pkgs[@]}"
         venv_ensure; telemetrygen_ensure; versitygw_ensure; lambda_rie_ensure; iceberg_rest_ensure ;;
  *) echo "usage: $0 build|test|lambda-x86_64|lambda-arm64" >&2; exit 2 ;;
esac
