#!/usr/bin/env bash
# Rebuilds the seed corpus (fuzz/seeds/<target>/) from the project's captures
# (echo/data, redis/data, memcache/data, pgsql/data, mysql/data, http/data). Deterministic; commit the result.
# Crash inputs found by fuzzing live in fuzz/regressions/ and are kept.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf seeds
cargo run --quiet --release --example make-corpus -- seeds
