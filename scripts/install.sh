#!/usr/bin/env bash
# Installs the ticky tools, their man pages, the daily report script (as ticky-daily) and the sample
# log under PREFIX (default /usr/local):
#
#   scripts/install.sh [PREFIX]
#
# It builds the release binaries first with cargo; set TICKY_BUILD_DIR to a folder that already
# holds built binaries to install those instead.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:-/usr/local}
tools=(ticky-parse ticky-count ticky-sort ticky-html ticky-gen ticky-publish)

if [ -n "${TICKY_BUILD_DIR:-}" ]; then
    build=$TICKY_BUILD_DIR
else
    cargo build --release --quiet
    build=target/release
fi
for t in "${tools[@]}"; do
    [ -x "$build/$t" ] || { echo "install.sh: $build/$t is missing; run 'cargo build --release'" >&2; exit 1; }
done

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/man/man8" "$prefix/share/ticky"
for t in "${tools[@]}"; do
    install -m 0755 "$build/$t" "$prefix/bin/$t"
done
install -m 0755 scripts/daily.sh "$prefix/bin/ticky-daily"
install -m 0644 man/*.1 "$prefix/share/man/man1/"
install -m 0644 man/*.8 "$prefix/share/man/man8/"
install -m 0644 tests/fixtures/syslog.log "$prefix/share/ticky/sample.log"
# Refresh man's index for the system prefixes, where `man` looks by default.
case "$prefix" in
/usr | /usr/local) command -v mandb >/dev/null && { mandb -q 2>/dev/null || true; } ;;
esac
echo "install.sh: installed ticky into $prefix (try: man ticky-count; ticky-daily)"
