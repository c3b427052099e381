#!/usr/bin/env bash
# SIGKILL crash test of the pay flow (issue 5): builds the portal, the MyPay simulator and the
# driver (server/tests/it/crash.rs), then runs TRIALS trials. Each trial starts the simulator and
# the real ecm-server as separate processes over a fresh database (SQLite; odd trials on
# PostgreSQL when ECM_TEST_POSTGRES_URL is set), pays in several browser-like flows while the
# server is killed with SIGKILL at random moments and restarted, lets every open cart reach a
# final answer in MyPay and the reconciler close every attempt, and checks the invariants.
#
#   scripts/crash-test.sh [TRIALS]     (default 4; CRASH_SEED=N repeats a run's random choices)
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS="${1:-4}"
case "$TRIALS" in
  ''|*[!0-9]*|0) echo "usage: $0 [TRIALS]   (TRIALS: a positive number, default 4)" >&2; exit 2 ;;
esac
command -v xmllint >/dev/null || { echo "xmllint is missing (Debian package libxml2-utils)" >&2; exit 1; }

# The same flags as `make test-rust`, so the test build reuses its artifacts.
export RUSTFLAGS="${RUSTFLAGS:---cfg erase_components}"
export CRASH_TRIALS="$TRIALS"
# The simulator runs as its own process: its binary, beside ecm-server in the target directory
# (the test copies it from there, or from CRASH_SIMULATOR_BIN).
cargo build -p mypay-simulator --bin mypay-simulator
# `-p app -p server` as in `make test-rust`: the same feature set, so no second build. The
# crash test is a module of the one integration-test binary `it`; --exact runs it and no other.
exec cargo test -p app -p server --test it -- --ignored --exact \
  crash::sigkill_at_random_points_of_the_pay_flow_keeps_every_payment_invariant --nocapture --test-threads 1
