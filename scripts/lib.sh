# shellcheck shell=bash
# Shared helpers for scripts/serve, scripts/test and scripts/load: environment, idempotent
# installers (each installs only what is missing and says what it does), a throwaway
# PostgreSQL cluster, free-port lookup and timed phases. Sourced, never executed.
# Everything started here listens on 127.0.0.1 only.
set -euo pipefail

ATELIER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ATELIER_ROOT

# The target dir lives outside the clone so CI (and every worktree) shares one cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/atelier/target}"
export LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-atelier}"
# Tests must never try to fetch a browser of their own: Debian's chromium is the browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# npm's binaryen first: Debian's wasm-opt 108 mis-optimises current wasm-bindgen output, and
# cargo-leptos takes the first wasm-opt (and wasm-bindgen) on PATH instead of downloading one.
export PATH="$ATELIER_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
APT_PACKAGES=(chromium postgresql wrk brotli curl python3)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- installers ---------------------------------------------------------------------------

ensure_rust_targets() {
    local installed missing=()
    installed="$(rustup target list --installed)"
    for t in wasm32-unknown-unknown wasm32-wasip1; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "rustup target add ${missing[*]}"
        rustup target add "${missing[@]}"
    fi
}

# Waits for a `cargo install CRATE` that is already running (another shell of ours), so we
# never build the same tool twice at once on a 2-core machine.
wait_for_running_install() {
    local crate="$1" waited=0
    while pgrep -f "[c]argo install .*$crate" >/dev/null 2>&1; do
        [ "$waited" -eq 0 ] && say "waiting for a running 'cargo install $crate' to finish"
        sleep 10
        waited=$((waited + 10))
        [ "$waited" -ge 1800 ] && die "gave up waiting for 'cargo install $crate'"
    done
    return 0
}

ensure_cargo_leptos() {
    wait_for_running_install cargo-leptos
    local have=""
    have="$(cargo leptos --version 2>/dev/null || true)"
    if ! grep -q "$CARGO_LEPTOS_VERSION" <<<"$have"; then
        say "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (had: ${have:-none}); takes several minutes"
        # Thin LTO off and many codegen units: the tool builds in half the time and runs as fast.
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
            cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --force
    fi
}

# The wasm-bindgen version the workspace locks; empty when there is no lock or no wasm-bindgen.
locked_wasm_bindgen_version() {
    local lock="$ATELIER_ROOT/Cargo.lock"
    [ -f "$lock" ] || return 0
    awk '
        /^\[\[package\]\]/ { name = "" }
        /^name = / { name = $3 }
        /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3; exit }
    ' "$lock"
}

# cargo-leptos runs the wasm-bindgen found on PATH, and its version must equal the library's.
ensure_wasm_bindgen() {
    local want have=""
    want="$(locked_wasm_bindgen_version)"
    if [ -z "$want" ]; then
        say "no wasm-bindgen in Cargo.lock yet: skipping wasm-bindgen-cli"
        return 0
    fi
    wait_for_running_install wasm-bindgen-cli
    have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
    if [ "$have" != "$want" ]; then
        say "cargo install wasm-bindgen-cli $want (had: ${have:-none})"
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
            cargo install wasm-bindgen-cli --version "$want" --force
    fi
}

apt_install() {
    local opts=(-y --no-install-recommends -o DPkg::Lock::Timeout=600)
    say "apt-get install $*"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"; then
        say "apt-get install failed: apt-get update, then again"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"
    fi
}

deb_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# ensure_debian_packages [PACKAGE...]: the given packages (default: all the tests need), plus
# node and npm when there are none.
ensure_debian_packages() {
    local missing=() wanted=("$@")
    [ "${#wanted[@]}" -gt 0 ] || wanted=("${APT_PACKAGES[@]}")
    for p in "${wanted[@]}"; do
        deb_installed "$p" || missing+=("$p")
    done
    # Node may come from elsewhere (nodesource): only install Debian's when there is none.
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# `npm ci` when node_modules is missing or package.json / package-lock.json changed since the
# last install (a stamp holds their checksum).
ensure_node_modules() {
    local dir="$ATELIER_ROOT/end2end" stamp sum
    stamp="$dir/node_modules/.atelier-install-stamp"
    sum="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
        say "npm ci in end2end/"
        (cd "$dir" && npm ci --no-audit --no-fund)
        printf '%s\n' "$sum" >"$stamp"
    fi
}

# What building the shop needs (scripts/serve): node for wasm-opt, Rust targets, cargo-leptos,
# wasm-bindgen.
ensure_build_tools() {
    ensure_debian_packages curl
    ensure_node_modules
    ensure_rust_targets
    ensure_cargo_leptos
    ensure_wasm_bindgen
    mkdir -p "$CARGO_TARGET_DIR"
}

# Everything the tests need (browser, PostgreSQL, wrk, brotli too), cheapest first.
ensure_tools() {
    ensure_debian_packages
    ensure_node_modules
    ensure_rust_targets
    ensure_cargo_leptos
    ensure_wasm_bindgen
    mkdir -p "$CARGO_TARGET_DIR"
    say "tools: $(cargo leptos --version), wasm-opt $(wasm-opt --version | awk '{print $3}'), $(wasm-bindgen --version 2>/dev/null || echo 'wasm-bindgen: none'), node $(node --version), $(chromium --version 2>/dev/null | head -1)"
}

# --- workspace queries --------------------------------------------------------------------

# True when the workspace has a package of that name (crates land on main at different times).
workspace_has_package() {
    (cd "$ATELIER_ROOT" && cargo metadata --no-deps --format-version 1 --offline 2>/dev/null ||
        cargo metadata --no-deps --format-version 1) |
        grep -q "\"name\":\"$1\",\"version\""
}

# --- ports and processes ------------------------------------------------------------------

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

# wait_for_http URL SECONDS: polls until the URL answers 2xx, or fails.
wait_for_http() {
    local url="$1" limit="$2" start=$SECONDS
    until curl -fs -o /dev/null --max-time 2 "$url"; do
        [ $((SECONDS - start)) -ge "$limit" ] && die "$url did not answer within ${limit}s"
        sleep 0.5
    done
}

# --- throwaway PostgreSQL cluster ---------------------------------------------------------
# pg_start_throwaway sets PG_TMP and PG_PORT and exports ATELIER_TEST_POSTGRES (an admin URL
# from which tests create one fresh database each); call pg_stop_throwaway from a trap.

PG_TMP=""
PG_PORT=""

pg_bindir() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
    echo "$d"
}

# Runs a PostgreSQL tool as user postgres when we are root (postgres refuses to run as root).
pg_run() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start_throwaway() {
    local bin
    bin="$(pg_bindir)"
    PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/atelier-pg.XXXXXX")"
    mkdir -p "$PG_TMP/data" "$PG_TMP/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_TMP"
    PG_PORT="$(free_port)"
    say "throwaway PostgreSQL ($(basename "$(dirname "$bin")")) in $PG_TMP on 127.0.0.1:$PG_PORT"
    pg_run "$bin/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }
    # Durability is not wanted here, and the write-ahead log is kept small (minimal level, 64 MB):
    # each test creates a database, and the log of those copies ran a CI disk full.
    pg_run "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 start \
        -o "-p $PG_PORT -k $PG_TMP/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=64MB -c min_wal_size=32MB" \
        >/dev/null || { cat "$PG_TMP/server.log" >&2; die "PostgreSQL did not start"; }
    export ATELIER_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}

pg_stop_throwaway() {
    [ -n "$PG_TMP" ] || return 0
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
        pg_run "$(pg_bindir)/pg_ctl" -D "$PG_TMP/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_TMP"
    say "throwaway PostgreSQL stopped and deleted"
    PG_TMP=""
}

# --- timed phases -------------------------------------------------------------------------
# phase TITLE LIMIT COMMAND...: prints a timed header, runs the command under `timeout` (never
# beyond ATELIER_DEADLINE, epoch seconds, when set) and fails fast with the phase named.

phase() {
    local title="$1" limit="$2" start rc=0
    shift 2
    local secs
    secs="$(to_seconds "$limit")"
    if [ -n "${ATELIER_DEADLINE:-}" ]; then
        local left=$((ATELIER_DEADLINE - $(date +%s)))
        [ "$left" -le 30 ] && die "no time left for phase '$title'"
        [ "$left" -lt "$secs" ] && secs="$left"
    fi
    printf '\n=== [%s] %s (limit %ss) ===\n' "$(date +%H:%M:%S)" "$title" "$secs" >&2
    start=$(date +%s)
    timeout --kill-after=30 "$secs" "$@" || rc=$?
    local took=$(($(date +%s) - start))
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        printf '=== %s: TIMED OUT after %ss ===\n' "$title" "$took" >&2
        exit 1
    elif [ "$rc" -ne 0 ]; then
        printf '=== %s: FAILED (exit %s) after %ss ===\n' "$title" "$rc" "$took" >&2
        # A full disk fails in any step with a message far from its cause: say what was free.
        df -h "${CARGO_TARGET_DIR:-.}" "${TMPDIR:-/tmp}" >&2 2>/dev/null || true
        exit "$rc"
    fi
    printf '=== %s: ok in %ss ===\n' "$title" "$took" >&2
}

to_seconds() {
    case "$1" in
        *m) echo $((${1%m} * 60)) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}

# --- the help search's wasm -------------------------------------------------------------------

# Builds the help centre's search module (crates/help-search-web) beside the site root:
# `target/help-search/` (cargo-leptos empties `target/site` on every build; the server looks
# next to it). It is its own small wasm, loaded only when someone uses the search box, so pages
# without islands still ship no wasm.
build_help_search() {
    local out="$ATELIER_ROOT/target/help-search"
    local wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/help_search_web.wasm"
    say "help search wasm: cargo build --profile wasm-release -p help-search-web"
    (cd "$ATELIER_ROOT" && cargo build --profile wasm-release --target wasm32-unknown-unknown -p help-search-web)
    mkdir -p "$out"
    wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        -o "$out/help_search_web_bg.wasm" "$out/help_search_web_bg.wasm"
    say "help search wasm: $(wc -c <"$out/help_search_web_bg.wasm") bytes"
}
