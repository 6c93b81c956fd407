#!/usr/bin/env bash
# ticky-daily: the daily report of the ticky service, from cron.
#
#   scripts/daily.sh [LOG [OUTDIR]]
#
# Parses LOG once (a .gz is read through gzip), counts the error ranking and the per-user table,
# renders both as HTML with an index page, and publishes them into OUTDIR. Every file is built in a
# temporary folder first; the published files are replaced only when every step succeeded, so a
# failed run leaves the previous report exactly as it was. Runs never overlap (a lock on OUTDIR).
set -euo pipefail
umask 022

me=ticky-daily
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

usage() {
    cat <<USAGE
$me: publish the daily ticky report (error ranking and per-user statistics) as HTML

Usage: $(basename "$0") [LOG [OUTDIR]]

  LOG      the syslog file to report on (a .gz is decompressed); default: the sample log
  OUTDIR   the folder to publish into, e.g. /var/www/html/ticky; default: ./ticky-report

Writes error_message.csv, user_statistics.csv, error_message.html, user_statistics.html and
index.html. A failed run exits non-zero and leaves the previous report unchanged.

Example crontab line:
  15 0 * * * /usr/local/bin/ticky-daily /var/log/syslog.1 /var/www/html/ticky >/dev/null
USAGE
}

fail() {
    echo "$me: $*" >&2
    exit 1
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
-V | --version) echo "$me 0.1.0"; exit 0 ;;
-*) echo "$me: unknown option '$1'" >&2; echo "Try '$me --help' for more information." >&2; exit 2 ;;
esac
[ $# -le 2 ] || { echo "$me: too many arguments" >&2; echo "Try '$me --help' for more information." >&2; exit 2; }

# The sample log ships in the repository (and is installed beside the man pages).
sample=""
for s in "$here/../tests/fixtures/syslog.log" "$here/../share/ticky/sample.log"; do
    [ -f "$s" ] && { sample=$(cd "$(dirname "$s")" && pwd -P)/$(basename "$s"); break; }
done
log=${1:-$sample}
out=${2:-$PWD/ticky-report}
[ -n "$log" ] || fail "no LOG given and no sample log found; usage: $me LOG OUTDIR"
[ -f "$log" ] && [ -r "$log" ] || fail "cannot read log file $log"

# The tools: a build next to this script, the installed ones beside it, or PATH.
find_tool() {
    local dir
    for dir in "$here/../target/release" "$here"; do
        [ -x "$dir/$1" ] && { echo "$dir/$1"; return; }
    done
    command -v "$1" || fail "cannot find $1: build it with 'cargo build --release' or install with scripts/install.sh"
}
parse=$(find_tool ticky-parse)
count=$(find_tool ticky-count)
sort=$(find_tool ticky-sort)
html=$(find_tool ticky-html)

mkdir -p -- "$out" || fail "cannot create $out"
chmod 0755 -- "$out" 2>/dev/null || true
out=$(cd "$out" && pwd -P)
exec 9<"$out"
flock -n 9 || fail "another run is publishing into $out; not starting a second one"

# Leftovers of a run that was killed, then this run's own folder.
rm -rf -- "$out"/.ticky-daily.*
tmp=$(mktemp -d "$out/.ticky-daily.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

unchanged="the report in $out is unchanged"

# Parse once and count once: one ticky-count makes both tables in a single pass over the records.
pipeline() {
    if [[ $log == *.gz ]]; then
        gzip -dc -- "$log" | "$parse" --summary 2>"$tmp/parse.err"
    else
        "$parse" --summary -- "$log" 2>"$tmp/parse.err"
    fi | "$count" --by error --header Error,Count --output "$tmp/error_message.csv" \
        --and --by user --pivot level --columns INFO,ERROR --header Username,INFO,ERROR |
        "$sort" --by Username >"$tmp/user_statistics.csv"
}
status=0
pipeline || status=$?
if [ "$status" != 0 ]; then
    cat "$tmp/parse.err" >&2
    fail "parsing and counting $log failed; $unchanged"
fi

# "ticky-parse: 1 of 107 lines not fully understood: ..." gives the numbers for the index page.
summary=$(grep -m1 'not fully understood' "$tmp/parse.err" || true)
[ -n "$summary" ] || fail "ticky-parse gave no summary; $unchanged"
summary=${summary#ticky-parse: }
lines=$(echo "$summary" | sed -E 's/^[0-9]+ of ([0-9]+) .*/\1/')
bad=$(echo "$summary" | sed -E 's/^([0-9]+) of .*/\1/')
when=$(date -u '+%Y-%m-%d %H:%M UTC')
[ "$lines" = 1 ] && lines="1 line" || lines="$lines lines"
source_line="From $log, $when: $lines, $bad not fully understood."

"$html" --title "Errors by frequency" --subtitle "$source_line" "$tmp/error_message.csv" >"$tmp/error_message.html" ||
    fail "ticky-html failed; $unchanged"
"$html" --title "Usage per user" --subtitle "$source_line" "$tmp/user_statistics.csv" >"$tmp/user_statistics.html" ||
    fail "ticky-html failed; $unchanged"

escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&#39;/g"; }
{
    cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ticky daily report</title>
<style>
body { margin: 0; padding: 1.5rem 1rem; font: 16px/1.5 system-ui, sans-serif; }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
li { margin: .3rem 0; }
p.sub { opacity: .75; }
</style>
</head>
<body>
<main>
<h1>ticky daily report</h1>
<p class="sub">$(printf '%s' "$source_line" | escape)</p>
<ul>
<li><a href="error_message.html">Errors by frequency</a> (<a href="error_message.csv">CSV</a>)</li>
<li><a href="user_statistics.html">Usage per user</a> (<a href="user_statistics.csv">CSV</a>)</li>
</ul>
</main>
</body>
</html>
HTML
} >"$tmp/index.html"

# Publish: readable by the web server whatever the umask of the steps, the index last.
chmod 0644 "$tmp"/*.csv "$tmp"/*.html
for f in error_message.csv user_statistics.csv error_message.html user_statistics.html index.html; do
    mv -f -- "$tmp/$f" "$out/$f"
done
echo "$me: report published in $out/index.html ($lines, $bad not fully understood)"
