#!/usr/bin/env bash
# Runs every check the project has: formatting, lints, unit and integration tests (which drive the
# real binaries, lint the man pages, serve the report with nginx and load it in headless Chromium).
# On a fresh Debian machine, run as root, it first installs the system packages the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need, by the command each one provides.
needed=()
command -v mandoc >/dev/null || needed+=(mandoc)
command -v man >/dev/null || needed+=(man-db)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || needed+=(nginx)
command -v chromium >/dev/null || needed+=(chromium)
command -v parallel >/dev/null || needed+=(parallel)
command -v sqlite3 >/dev/null || needed+=(sqlite3)
command -v gzip >/dev/null || needed+=(gzip)
command -v flock >/dev/null || needed+=(util-linux)
command -v setpriv >/dev/null || needed+=(util-linux)
command -v script >/dev/null || needed+=(bsdutils)
# The peer that tests/access.rs checks access log counts against.
command -v goaccess >/dev/null || needed+=(goaccess)
# The peer that tests/stats.rs checks percentiles against.
command -v mlr >/dev/null || needed+=(miller)
# The MTA that tests/alert.rs mails through (its sendmail hands mail to a local SMTP server).
[ -x /usr/sbin/sendmail ] || needed+=(msmtp-mta)
# The attacker of tests/publish.rs runs the system's Python as www-data.
[ -x /usr/bin/python3 ] || needed+=(python3)
if [ ${#needed[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing ${needed[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${needed[@]}" >/dev/null
    else
        echo "test.sh: missing ${needed[*]}: install them (Debian: apt-get install ${needed[*]}) and run again" >&2
        exit 1
    fi
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --profile ci --all-targets
