#!/usr/bin/env bash
# Installs the ticky tools, their man pages, the daily report script (as ticky-daily) and the sample
# log under PREFIX (default /usr/local):
#
#   scripts/install.sh [PREFIX]              install (default /usr/local)
#   scripts/install.sh --uninstall [PREFIX]  remove what an install put there
#
# It builds the release binaries first with cargo; set TICKY_BUILD_DIR to a folder that already
# holds built binaries to install those instead.
set -euo pipefail

usage() {
    cat <<USAGE
install.sh: install the ticky tools, their man pages, ticky-daily and the sample log

Usage: scripts/install.sh [PREFIX]
       scripts/install.sh --uninstall [PREFIX]

PREFIX defaults to /usr/local; a relative PREFIX is taken from the current directory. Builds the
release binaries with cargo first (or installs those in \$TICKY_BUILD_DIR).
USAGE
}

uninstall=0
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--uninstall) uninstall=1; shift ;;
-*) echo "install.sh: unknown option '$1'; see scripts/install.sh --help" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "install.sh: too many arguments; see scripts/install.sh --help" >&2; exit 2; }
prefix=${1:-/usr/local}
# A relative prefix means relative to where the command was given, not to the repository.
case "$prefix" in
/*) ;;
*) prefix=$PWD/$prefix ;;
esac
cd "$(dirname "$0")/.."
tools=(ticky-parse ticky-count ticky-sort ticky-html ticky-gen ticky-publish ticky-store ticky-follow ticky-alert)

if [ "$uninstall" = 1 ]; then
    for t in "${tools[@]}" ticky-daily; do rm -f -- "$prefix/bin/$t"; done
    for page in man/*.1; do rm -f -- "$prefix/share/man/man1/$(basename "$page")"; done
    for page in man/*.8; do rm -f -- "$prefix/share/man/man8/$(basename "$page")"; done
    rm -f -- "$prefix/share/ticky/sample.log"
    rmdir -- "$prefix/share/ticky" 2>/dev/null || true
    echo "install.sh: removed ticky from $prefix"
    exit 0
fi

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
