#!/usr/bin/env bash
# Builds the CLI natively and for wasm32-wasip1 and checks that both count the same
# configurations: bike example, a 50,000-group chain (the engine must not recurse once per
# group: Node's default V8 stack of about 1 MB and Rust's 1 MiB wasm stack are all it gets), and
# Renault small and medium when ../shared is present (on CI, where CI=true, a missing ../shared
# is a failure rather than a skip).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
target="${CARGO_TARGET_DIR:-$here/../../target}"
cargo build --release --features cli
cargo build --release --features cli --target wasm32-wasip1
native="$target/release/configurator"
wasm="$target/wasm32-wasip1/release/configurator.wasm"
shared="$(cd "$here/../../.." && pwd)/shared/bench/renault"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$native" generate "$tmp/chain.json" --chain 50000 >/dev/null
instances=("$here/examples/bike.json" "$tmp/chain.json")
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
# Node 20's concurrent GC threads corrupt its heap now and then while a wasm program with a few
# hundred MB of linear memory runs (a segfault or "Invalid bytecode" abort after the program
# printed its result; about every other run on the 50,000-group chain); a single-threaded GC
# never did in 30 runs.
node=(node --no-warnings --single-threaded-gc)
status=0
for i in "${instances[@]}"; do
  n="$("$native" count "$i")"
  w="$(WASI_DIRS="$tmp" timeout 300 "${node[@]}" "$here/wasm/run-wasi.mjs" "$wasm" -- count "$i")"
  if [ "$n" == "$w" ]; then echo "ok   $(basename "$i"): native $n = wasm $w"; else echo "FAIL $(basename "$i"): native $n, wasm $w"; status=1; fi
done
exit $status
