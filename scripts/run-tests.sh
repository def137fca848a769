#!/usr/bin/env bash
# Runs every test after `make test` built them: the C unit tests (ASan+UBSan), a bounded
# libFuzzer run of each fuzz target, and the end-to-end tests (pytest, against the sanitizer
# build of the binary). Ends with one line: "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cache=${OTLP2PARQUET_CACHE:-$HOME/.cache/otlp2parquet}
venv="$cache/venv"
logdir=build/test-logs
mkdir -p "$logdir"
passed=0
failed=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== unit tests (ASan+UBSan)"
for t in build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  out="$logdir/$name.log"
  "$t" >"$out" 2>&1
  rc=$?
  p=$(grep -c '^PASS ' "$out")
  f=$(grep -c '^FAIL ' "$out")
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or a sanitizer stopped it
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then echo "FAIL $name"; sed 's/^/    /' "$out" | tail -40; else echo "ok   $name ($p)"; fi
done

echo "== fuzz smoke runs (libFuzzer)"
for fz in build/fuzz/fuzz_*; do
  [ -x "$fz" ] || continue
  name=$(basename "$fz")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  [ -d "$corpus" ] || corpus=tests/fuzz/corpus/$name   # some folders keep the fuzz_ prefix
  work="build/fuzz-work/$name"
  mkdir -p "$work"
  [ -d "$corpus" ] && cp -n "$corpus"/* "$work"/ 2>/dev/null
  dict=tests/fuzz/${name#fuzz_}.dict
  extra=()
  [ -f "$dict" ] && extra=(-dict="$dict")
  if "$fz" "${extra[@]}" -runs="${FUZZ_RUNS:-20000}" -max_len=65536 -timeout=10 "$work" >"$logdir/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; tail -40 "$logdir/$name.log" | sed 's/^/    /'
  fi
done

echo "== end-to-end tests (pytest)"
export OTLP2PARQUET_BIN=${OTLP2PARQUET_BIN:-$here/build/asan/otlp2parquet}
export OTLP2PARQUET_TOOLS=$here/build/tools
"$venv/bin/python" -m pytest tests/e2e -q -p no:cacheprovider --junitxml="$logdir/e2e.xml" ${PYTEST_ARGS:-}
rc=$?
if [ -f "$logdir/e2e.xml" ]; then
  read -r ep ef < <("$venv/bin/python" - "$logdir/e2e.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f + sk)   # a skipped test is a hole, counted as failed
PY
)
  passed=$((passed + ep)); failed=$((failed + ef))
  if [ $rc -ne 0 ] && [ "$ef" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
