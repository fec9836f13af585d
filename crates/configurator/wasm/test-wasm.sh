#!/usr/bin/env bash
# Builds the CLI natively and for wasm32-wasip1 and checks that both count the same
# configurations (bike example, Renault small and medium when ../shared is present; on CI, where
# CI=true, a missing ../shared is a failure rather than a skip).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
target="${CARGO_TARGET_DIR:-$here/../../target}"
cargo build --release --features cli
cargo build --release --features cli --target wasm32-wasip1
native="$target/release/configurator"
wasm="$target/wasm32-wasip1/release/configurator.wasm"
shared="$(cd "$here/../../.." && pwd)/shared/bench/renault"
instances=("$here/examples/bike.json")
for f in small.xml medium.xml medium_domainsorted.xml; do
  if [ -f "$shared/$f" ]; then
    instances+=("$shared/$f")
  elif [ "${CI:-}" = true ]; then
    echo "FAIL CI=true but $shared/$f is absent"
    exit 1
  else
    echo "skipping $f: $shared absent"
  fi
done
status=0
for i in "${instances[@]}"; do
  n="$("$native" count "$i")"
  w="$(timeout 300 node --no-warnings "$here/wasm/run-wasi.mjs" "$wasm" -- count "$i")"
  if [ "$n" == "$w" ]; then echo "ok   $(basename "$i"): native $n = wasm $w"; else echo "FAIL $(basename "$i"): native $n, wasm $w"; status=1; fi
done
exit $status
