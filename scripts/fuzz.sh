#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for SECONDS each (default 600):
#
#   scripts/fuzz.sh [SECONDS]
#
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain build them. It is
# installed from crates.io when missing. A crash is kept under fuzz/artifacts/TARGET/; add it to the
# regression tests (tests/fuzz_regressions.rs) once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
for target in syslog access pattern json csv; do
    echo "fuzz.sh: $target for ${seconds}s" >&2
    mkdir -p "fuzz/corpus/$target"
    seeds=(); [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
    cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done|artifact_prefix|Test unit)' || true
    if ls "fuzz/artifacts/$target"/crash-* >/dev/null 2>&1; then
        echo "fuzz.sh: $target crashed: see fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
