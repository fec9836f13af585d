#!/usr/bin/env bash
# Reproduces every figure of the README: StackFAQ relevance (articles alone; after learning one
# half as helpful votes, evaluated on the other half), per-keystroke latency on a synthetic
# 10,000-article knowledge base natively and in wasm (wasm32-wasip1 under Node's WASI, with the
# configurator's runner), index sizes raw / brotli / gzip, build and load times.
# Split files and blobs go to $OUT (default /tmp/faq-figures); StackFAQ is read from ../shared
# and never copied. Without ../shared the relevance part is skipped with a notice.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/atelier/target-faq}"
out="${OUT:-/tmp/faq-figures}"
mkdir -p "$out"
cd "$here"
cargo build -p faq-search --release --features cli
cargo build -p faq-search --release --features cli --target wasm32-wasip1
bench="$CARGO_TARGET_DIR/release/faq-bench"
wasm="$CARGO_TARGET_DIR/wasm32-wasip1/release/faq-bench.wasm"
node=(node --no-warnings --single-threaded-gc "$repo/crates/configurator/wasm/run-wasi.mjs" "$wasm" --)
faq="$(cd "$repo/.." && pwd)/shared/bench/faq"

if [ -f "$faq/stackfaq_articles.json" ]; then
  a=(--articles "$faq/stackfaq_articles.json")
  "$bench" --split "$faq/stackfaq_queries_dev.jsonl" --out-a "$out/tune.jsonl" --out-b "$out/held.jsonl"
  echo "(a) articles alone"
  for part in tune held; do echo "$part: $("$bench" "${a[@]}" --eval "$out/$part.jsonl")"; done
  echo "all: $("$bench" "${a[@]}" --eval "$faq/stackfaq_queries_dev.jsonl")"
  echo "(b) after learning the other half"
  echo "held (learnt tune): $("$bench" "${a[@]}" --learn "$out/tune.jsonl" --eval "$out/held.jsonl")"
  echo "tune (learnt held): $("$bench" "${a[@]}" --learn "$out/held.jsonl" --eval "$out/tune.jsonl")"
  echo "tune, 5-fold inside it (what the learning parameters were chosen on): $("$bench" "${a[@]}" --eval "$out/tune.jsonl" --folds 5)"
  "$bench" "${a[@]}" --eval "$out/held.jsonl" --write-index "$out/stackfaq.bin" >/dev/null
  "$bench" "${a[@]}" --eval "$out/held.jsonl" --learn "$out/tune.jsonl" --write-index "$out/stackfaq-learned.bin" >/dev/null
else
  echo "skipping StackFAQ relevance: $faq is absent"
fi

echo "speed: 10,000 generated articles, 'how long until my bike arrives' typed char by char"
echo "native: $("$bench" --generate 10000 --keystrokes --write-index "$out/kb10k.bin")"
echo "wasm:   $("${node[@]}" --generate 10000 --keystrokes)"
echo "wasm, loading the native blob: $(WASI_DIRS="$out" "${node[@]}" --load "$out/kb10k.bin" --keystrokes)"
echo "typos, native: $("$bench" --generate 10000 --keystrokes --query 'how long untill my bikke arives')"
echo "typos, wasm:   $("${node[@]}" --generate 10000 --keystrokes --query 'how long untill my bikke arives')"
for blob in "$out"/*.bin; do
  raw=$(stat -c %s "$blob")
  gz=$(gzip -9 -c "$blob" | wc -c)
  if command -v brotli >/dev/null; then br=$(brotli -c -q 11 "$blob" | wc -c); else br="n/a (no brotli CLI)"; fi
  echo "size $(basename "$blob"): raw $raw, brotli $br, gzip -9 $gz"
done
