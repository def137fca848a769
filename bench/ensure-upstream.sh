#!/usr/bin/env bash
# Builds the upstream Rust otlp2parquet 0.12.0 once into $cache/rust-otlp2parquet (crates.io,
# `cargo install --locked`, so the dependency versions are the ones its release pinned) for
# `make bench`; skips when the binary is there. Installs rustup's stable toolchain when there
# is no cargo. The first build takes a while (about 10 minutes on 2 cores).
set -euo pipefail
cache=${OTLP2PARQUET_CACHE:-$HOME/.cache/otlp2parquet}
version=0.12.0
root="$cache/rust-otlp2parquet"
bin="$root/bin/otlp2parquet"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q " $version\$"; then
  exit 0
fi
PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  echo "ensure-upstream: installing a Rust toolchain with rustup" >&2
  command -v curl >/dev/null || { echo "ensure-upstream: curl is needed" >&2; exit 1; }
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
  PATH="$HOME/.cargo/bin:$PATH"
fi
echo "ensure-upstream: building otlp2parquet $version (Rust) into $root, once" >&2
mkdir -p "$root"
nice cargo install otlp2parquet --locked --version "$version" --root "$root" >&2
