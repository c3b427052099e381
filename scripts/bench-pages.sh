#!/usr/bin/env bash
# Reproduces every page-level figure of docs/BENCHMARKS.md in one run ("Pages under load"):
#
#   - throughput and latency of each page at 64 connections (wrk, 2 threads), for a logged-in
#     provider, the Segreteria and an anonymous visitor, on SQLite and on PostgreSQL, next to a
#     minimal Leptos 0.8 SSR page (`leptos-baseline`, built beside the portal) measured in the
#     same run: the portal's figures are read as a fraction of what Leptos itself does here;
#   - internal errors, panics and ERROR lines the portal logged during the load;
#   - resident memory after 100,000 page requests and after 100 parallel registrations (and how
#     many of those were answered 503 "busy" instead);
#   - how long the portal takes to stop after SIGTERM once the load is over;
#   - a provider's cold first visit to / and /area over Slow 4G (scripts/measure-weight.mjs).
#
#   scripts/bench-pages.sh                  build (release) and measure
#   BENCH_NO_BUILD=1 scripts/bench-pages.sh measure the binaries already built
#
# Settings: BENCH_DURATION (seconds per page, default 10), BENCH_SOAK_REQUESTS (default 100000),
# BENCH_POSTGRES_URL (default $ECM_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres;
# "none" skips PostgreSQL), BENCH_BACKENDS (default "sqlite postgres"). To measure another build
# of the portal (e.g. an older commit built in a worktree) against this baseline:
# BENCH_SERVER_BIN=/path/ecm-server BENCH_SITE_ROOT=/path/target/site BENCH_NO_BUILD=1.
# Load stays on 127.0.0.1. Results: stdout and target/bench/pages-<UTC time>.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
SOAK_REQUESTS=${BENCH_SOAK_REQUESTS:-100000}
PG_URL=${BENCH_POSTGRES_URL:-${ECM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release"
SERVER_BIN=${BENCH_SERVER_BIN:-$BIN/ecm-server}
SITE_ROOT=${BENCH_SITE_ROOT:-target/site}
export LEPTOS_OUTPUT_NAME=ecm

command -v wrk >/dev/null || { echo "wrk is missing (Debian package wrk)" >&2; exit 1; }
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  make build-release
  # Same flags as cargo-leptos passes (always-erase-components): shared artifacts, fair baseline.
  RUSTFLAGS="--cfg erase_components" cargo build --release -p server -p mypay-simulator --bin leptos-baseline --bin mypay-simulator
fi

work=$(mktemp -d /tmp/ecm-bench.XXXXXX)
out_dir="target/bench"; mkdir -p "$out_dir"
report="$out_dir/pages-$(date -u +%Y%m%dT%H%M%SZ).md"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
say() { printf '%s\n' "$*" | tee -a "$report"; }
wait_http() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not answering: $1" >&2; return 1; }
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# wrk over one URL: "req/s p50 p99 non2xx".
measure() {
  local url=$1 cookie=${2:-}
  local args=(-t2 -c64 "-d${DURATION}s" --latency -H "Accept-Encoding: br, gzip")
  [ -n "$cookie" ] && args+=(-H "Cookie: ecm_session=$cookie")
  wrk "${args[@]}" "$url" > "$work/wrk.txt" 2>&1 || true
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r'^\s*' + label + r'\s+([\d.]+)(us|ms|s)\s*$', text, re.M)
    if not m: return float('nan')
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == 'us' else v * 1000 if unit == 's' else v
rps = re.search(r'Requests/sec:\s+([\d.]+)', text)
non2xx = re.search(r'Non-2xx or 3xx responses:\s+(\d+)', text)
errors = re.search(r'Socket errors: (.*)', text)
print(f"{float(rps.group(1)) if rps else 0:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {non2xx.group(1) if non2xx else 0}{' socket:' + errors.group(1).replace(' ', '') if errors else ''}")
PY
}

# --- the baseline -----------------------------------------------------------------------------
base_port=$(free_port)
"$BIN/leptos-baseline" "127.0.0.1:$base_port" > "$work/baseline.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$base_port/"
read -r base_rps base_p50 base_p99 _ < <(measure "http://127.0.0.1:$base_port/")

say "# Pages under load — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), portal $SERVER_BIN"
say ""
say "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk -t2 -c64 -d${DURATION}s, Accept-Encoding br/gzip, 127.0.0.1."
say "Baseline (minimal Leptos 0.8 SSR page, \`leptos-baseline\`): **${base_rps} req/s**, p50 ${base_p50} ms, p99 ${base_p99} ms."
say ""

sim_port=$(free_port)
"$BIN/mypay-simulator" --addr "127.0.0.1:$sim_port" > "$work/simulator.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$sim_port/ws/pa/PagamentiTelematiciDovutiPagati.wsdl"

for backend in $BACKENDS; do
  if [ "$backend" = postgres ]; then
    [ "$PG_URL" = none ] && continue
    db_name="ecm_bench_$(date +%s)"
    psql "$PG_URL" -qc "CREATE DATABASE $db_name" >/dev/null
    db_url="${PG_URL%/*}/$db_name"
  else
    mkdir -p "$work/sqlite"; db_url="sqlite://$work/sqlite/ecm.sqlite"
  fi
  port=$(free_port); base="http://127.0.0.1:$port"
  log="$work/server-$backend.log"
  env DATABASE_URL="$db_url" LEPTOS_SITE_ROOT="$SITE_ROOT" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="127.0.0.1:$port" \
      ECM_PUBLIC_URL="$base" ECM_ADMIN_EMAIL=segreteria@ecm.bench ECM_ADMIN_PASSWORD='Segreteria2026!' ECM_REGISTRATIONS_PER_ADDRESS=10000 \
      ECM_MYPAY_ENDPOINT="http://127.0.0.1:$sim_port/ws/pa/PagamentiTelematiciDovutiPagati" \
      ECM_MYPAY_COD_IPA_ENTE=R_VENETO ECM_MYPAY_PASSWORD='Ecm#Veneto2025' RUST_LOG=warn \
      "$SERVER_BIN" > "$log" 2>&1 &
  server=$!; pids+=($server)
  wait_http "$base/healthz"

  # A provider with its censimento, a draft request and every required document; the Segreteria.
  jar="$work/provider-$backend.jar"; sjar="$work/segreteria-$backend.jar"
  api() { curl -sf -o /dev/null -c "$1" -b "$1" -H 'Accept: application/json' "${@:3}" "$base/api/$2"; }
  api "$jar" accounts/register -d email=bench@provider.test -d display_name=Bench -d password=Provider2026 -d password_confirm=Provider2026
  api "$jar" accounts/login -d email=bench@provider.test -d password=Provider2026
  api "$jar" providers/save --data-urlencode 'form[denominazione]=Società Veneta di Formazione' \
    -d 'form[codice_fiscale]=80007580279' -d 'form[partita_iva]=' -d 'form[forma_giuridica]=SOCIETA_SCIENTIFICA' \
    -d 'form[legale_nome]=Mario' -d 'form[legale_cognome]=Rossi' -d 'form[legale_codice_fiscale]=RSSMRA80A01H501U' \
    --data-urlencode 'form[via]=Via Roma' -d 'form[civico]=1' -d 'form[cap]=30121' -d 'form[comune]=Venezia' \
    -d 'form[provincia]=VE' -d 'form[pec]=formazione@pec.example.it' -d 'form[email]=info@example.it' --data-urlencode 'form[telefono]=041 1234567'
  api "$jar" requests/kind -d kind=PROVVISORIO
  printf '%%PDF-1.4\n%% documento di prova\n%%%%EOF\n' > "$work/doc.pdf"
  for code in $(curl -sf -b "$jar" -H 'Accept: application/json' -X POST "$base/api/documents/mine" | python3 -c 'import json,sys; print(" ".join(s["doc_type"]["code"] for s in json.load(sys.stdin)["slots"] if s["doc_type"]["required"]))'); do
    curl -sf -o /dev/null -b "$jar" -H 'Accept: application/json' -F "type_code=$code" -F "file=@$work/doc.pdf;filename=$code.pdf" "$base/documenti/carica"
  done
  api "$sjar" accounts/login -d email=segreteria@ecm.bench -d 'password=Segreteria2026!'
  pcookie=$(awk '$6 == "ecm_session" { print $7 }' "$jar"); scookie=$(awk '$6 == "ecm_session" { print $7 }' "$sjar")

  say "## $backend"
  say ""
  say "| page | who | req/s | % of baseline | p50 ms | p99 ms | non-2xx |"
  say "|---|---|---:|---:|---:|---:|---:|"
  lines_before=$(wc -l < "$log")
  for entry in "/:-" "/accedi:-" "/area:P" "/area/documenti:P" "/area/pagamento:P" "/area/pagamenti:P" "/segreteria:S" "/segreteria/pagamenti:S" "/segreteria/dovuti:S"; do
    path=${entry%%:*}; who=${entry##*:}
    case $who in P) cookie=$pcookie; label=provider ;; S) cookie=$scookie; label=Segreteria ;; *) cookie=; label=anonymous ;; esac
    read -r rps p50 p99 non2xx < <(measure "$base$path" "$cookie")
    pct=$(python3 -c "print(f'{100 * $rps / $base_rps:.0f} %')")
    say "| \`$path\` | $label | $rps | $pct | $p50 | $p99 | $non2xx |"
  done
  errors=$(tail -n +"$((lines_before + 1))" "$log" | grep -cE 'internal error|panicked|ERROR' || true)
  say ""
  say "Internal errors, panics and ERROR lines logged during the page runs: **$errors**."

  # Memory: 100,000 requests, then 100 registrations at once.
  served=0
  while [ "$served" -lt "$SOAK_REQUESTS" ]; do
    wrk -t2 -c64 -d10s -H "Cookie: ecm_session=$pcookie" "$base/area" > "$work/soak.txt" 2>&1 || true
    n=$(awk '/requests in/ { print $1 }' "$work/soak.txt"); served=$((served + ${n:-0}))
    [ "${n:-0}" -gt 0 ] || break
  done
  rss_soak=$(rss_mb "$server")
  seq 1 100 | xargs -P 100 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Accept: application/json' \
    -d "email=reg{}-$backend@provider.test" -d display_name=Bench -d password=Provider2026 -d password_confirm=Provider2026 \
    "$base/api/accounts/register" > "$work/registrations.txt"
  ok=$(grep -c '^200$' "$work/registrations.txt" || true); busy=$(grep -c '^503$' "$work/registrations.txt" || true)
  sleep 1
  rss_reg=$(rss_mb "$server")
  say "Resident memory: **${rss_soak} MB** after ${served} requests to /area; **${rss_reg} MB** after 100 parallel registrations (${ok} registered, ${busy} answered 503 busy)."

  # SIGTERM after the load.
  start=$(date +%s.%N); kill -TERM "$server"
  for _ in $(seq 1 300); do kill -0 "$server" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$server" 2>/dev/null; then stop="still running after 15 s"; kill -9 "$server"; else stop=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f} s')"); fi
  say "Stopped after SIGTERM in **$stop**."
  say ""
  [ "$backend" = postgres ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null
done

# --- first visit over Slow 4G ----------------------------------------------------------------
port=$(free_port); base="http://127.0.0.1:$port"
mkdir -p "$work/weight"
env DATABASE_URL="sqlite://$work/weight/ecm.sqlite" LEPTOS_SITE_ROOT="$SITE_ROOT" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    ECM_PUBLIC_URL="$base" RUST_LOG=warn "$SERVER_BIN" > "$work/server-weight.log" 2>&1 &
pids+=($!)
wait_http "$base/healthz"
[ -d end2end/node_modules/@playwright/test ] || (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
say "## First visit over Slow 4G (cold cache)"
say ""
say '```'
node scripts/measure-weight.mjs --base "$base" --runs 3 --no-fail --json "$out_dir/weight.json" | tee -a "$report"
say '```'
echo "report: $report"
