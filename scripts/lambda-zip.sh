#!/usr/bin/env bash
# Packs a Lambda (provided.al2023) zip from a linked otlp2parquet binary; `make lambda-zip` runs it.
#   scripts/lambda-zip.sh arm64|x86_64 BINARY OUT.zip
# The zip, which Lambda unpacks to /var/task, holds:
#   bootstrap             the binary, stripped; its ELF interpreter is /var/task/lib/<loader> and
#                         its DT_RPATH is /var/task/lib
#   lib/                  the dynamic loader and the DT_NEEDED closure of bootstrap, plus the NSS
#                         modules glibc's getaddrinfo may dlopen (libnss_dns, libnss_files) and
#                         their closure, all from the target's Debian library directories
#   ca-certificates.crt   the build machine's CA bundle; src/net/http_client.c points libcurl at
#                         it when it lies next to the binary (Debian's libcurl looks for
#                         /etc/ssl/certs/ca-certificates.crt, which Amazon Linux does not have)
# Nothing of the host's glibc is used at run time, so the zip runs whatever glibc Lambda has.
# DT_RPATH, not DT_RUNPATH: Lambda sets LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:..., which
# the loader searches before DT_RUNPATH but after DT_RPATH, and the executable's DT_RPATH also
# serves the libraries' own dependencies (DT_RUNPATH serves only the object that carries it).
# An absolute /var/task/lib, not $ORIGIN/lib: the interpreter path ties the zip to /var/task anyway,
# and glibc expands $ORIGIN of the executable through /proc/self/exe, which a bare chroot lacks.
set -euo pipefail

arch=${1:?usage: $0 arm64|x86_64 BINARY OUT.zip}
bin=${2:?usage: $0 arm64|x86_64 BINARY OUT.zip}
out=${3:?usage: $0 arm64|x86_64 BINARY OUT.zip}

case "$arch" in
  arm64)  triple=aarch64-linux-gnu; machine=AArch64 ;;
  x86_64) triple=x86_64-linux-gnu; machine="Advanced Micro Devices X86-64" ;;
  *) echo "lambda-zip: ARCH must be arm64 or x86_64, not '$arch'" >&2; exit 2 ;;
esac
libdirs=("/lib/$triple" "/usr/lib/$triple")
readelf="readelf"
strip="strip"
command -v "$triple-readelf" >/dev/null && readelf=$triple-readelf
command -v "$triple-strip" >/dev/null && strip=$triple-strip
task=/var/task
dlopened=(libnss_dns.so.2 libnss_files.so.2 libresolv.so.2)
ca=/etc/ssl/certs/ca-certificates.crt

stage="$(dirname "$bin")/lambda-zip"
rm -rf "$stage"
mkdir -p "$stage/lib" "$(dirname "$out")"

"$readelf" -h "$bin" | grep -q "Machine: *$machine" || {
  echo "lambda-zip: $bin is not an $arch ELF" >&2; exit 1; }

needed() { "$readelf" -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'; }
find_lib() {
  local d
  for d in "${libdirs[@]}"; do
    [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  return 1
}

# the loader, by the name the binary asks for (/lib/ld-linux-aarch64.so.1, /lib64/ld-linux-x86-64.so.2)
interp=$("$readelf" -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || { echo "lambda-zip: $bin has no ELF interpreter" >&2; exit 1; }
loader=$(basename "$interp")
src=$(find_lib "$loader") || { echo "lambda-zip: no $loader in ${libdirs[*]}" >&2; exit 1; }
cp -L "$src" "$stage/lib/$loader"

cp "$bin" "$stage/bootstrap"
"$strip" --strip-all "$stage/bootstrap"

# the DT_NEEDED closure of bootstrap and of the dlopened NSS modules
queue=("$stage/bootstrap")
for lib in "${dlopened[@]}"; do
  src=$(find_lib "$lib") || continue
  [ -e "$stage/lib/$lib" ] || { cp -L "$src" "$stage/lib/$lib"; queue+=("$stage/lib/$lib"); }
done
while [ ${#queue[@]} -gt 0 ]; do
  elf=${queue[0]}
  queue=("${queue[@]:1}")
  for lib in $(needed "$elf"); do
    [ "$lib" = "$loader" ] && continue
    [ -e "$stage/lib/$lib" ] && continue
    src=$(find_lib "$lib") || { echo "lambda-zip: $(basename "$elf") needs $lib, not found in ${libdirs[*]}" >&2; exit 1; }
    cp -L "$src" "$stage/lib/$lib"
    queue+=("$stage/lib/$lib")
  done
done

patchelf --set-interpreter "$task/lib/$loader" --force-rpath --set-rpath "$task/lib" "$stage/bootstrap"
# A library with a DT_RUNPATH of its own would have its dependencies looked up on LD_LIBRARY_PATH
# before the executable's DT_RPATH: give such a library the same DT_RPATH instead.
for lib in "$stage"/lib/*; do
  [ "$(basename "$lib")" = "$loader" ] && continue
  if "$readelf" -d "$lib" | grep -q '(RUNPATH)\|(RPATH)'; then
    patchelf --force-rpath --set-rpath "$task/lib" "$lib"
  fi
done
chmod 0755 "$stage/bootstrap" "$stage/lib/$loader"
chmod 0644 "$stage"/lib/*.so* 2>/dev/null || true
chmod 0755 "$stage/lib/$loader"

[ -s "$ca" ] || { echo "lambda-zip: no CA bundle at $ca (Debian package ca-certificates)" >&2; exit 1; }
cp -L "$ca" "$stage/ca-certificates.crt"
chmod 0644 "$stage/ca-certificates.crt"

# fixed timestamps and order, so the same inputs give the same zip
find "$stage" -exec touch -h -d '1980-01-02T00:00:00Z' {} +
rm -f "$out"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
(cd "$stage" && { echo bootstrap; echo ca-certificates.crt; find lib -type f | LC_ALL=C sort; } |
  TZ=UTC zip -q -X -9 "$out_abs" -@)
echo "lambda-zip: $out ($(stat -c %s "$out") bytes; bootstrap $(stat -c %s "$stage/bootstrap") bytes, $(find "$stage/lib" -type f | wc -l) files in lib/)" >&2
