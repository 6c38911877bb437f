#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds (default 60), one after the other,
# on its seeds and regressions; stops at the first crash (exit status 1).
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it
# use nightly flags on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for target in $(cd fuzz_targets && ls *.rs | sed "s/\.rs$//"); do
  mkdir -p "corpus/$target"
  dirs=("corpus/$target" "seeds/$target")
  [ -d "regressions/$target" ] && dirs+=("regressions/$target")
  echo "==> fuzz $target for ${secs}s"
  cargo fuzz run "$target" "${dirs[@]}" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
