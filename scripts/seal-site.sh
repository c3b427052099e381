#!/usr/bin/env bash
# Seals a release build's bundle: moves target/site/pkg/ecm.{js,wasm,css}, the lazily loaded
# wasm chunks of a split build (split_*.wasm, chunk_*.wasm, __wasm_split*: `--split`, see
# CONTRIBUTING "Builds") and their .br/.gz into target/site/pkg/<content hash>/, so every build's bundle has URLs of its own and the
# server can tell browsers to keep it for a year (server::web::bundle_dir, cache_policy).
#   scripts/seal-site.sh [SITE_ROOT]     (default target/site)
set -euo pipefail
site="${1:-target/site}"
pkg="$site/pkg"
[ -f "$pkg/ecm.js" ] || { echo "seal-site: no unsealed bundle in $pkg (build first)" >&2; exit 1; }
# Every file of the bundle counts: a chunk that changes alone gets new URLs too.
hash=$(find "$pkg" -maxdepth 1 -type f ! -name '*.br' ! -name '*.gz' -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)
# Older sealed bundles go: the server serves one bundle.
find "$pkg" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' -exec rm -rf {} +
mkdir -p "$pkg/$hash"
find "$pkg" -maxdepth 1 -type f -exec mv -t "$pkg/$hash/" {} +
echo "seal-site: bundle sealed in $pkg/$hash"
