#!/usr/bin/env bash
# ticky-daily: the daily report of the ticky service, from cron.
#
#   scripts/daily.sh [--keep N] [--min-lines N] [--db DB] [LOG [OUTDIR]]
#
# Counts LOG once (a rotated .gz too) into the error ranking and the per-user table,
# renders both as HTML with an index page, and publishes them into OUTDIR. Every file is built in a
# private temporary folder first; ticky-publish then switches the published set with one rename,
# only when every step succeeded and the log said something, so a failed run leaves the previous
# report exactly as it was. The steps that touch OUTDIR, which others may be able to write, are in
# ticky-publish (Rust, through directory descriptors), not in this script.
set -euo pipefail

me=ticky-daily
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

usage() {
    cat <<USAGE
$me: publish the daily ticky report (error ranking and per-user statistics) as HTML

Usage: $(basename "$0") [OPTIONS] [LOG [OUTDIR]]

  LOG      the syslog file to report on (gzip is read decompressed); default: the sample log
  OUTDIR   the folder to publish into, e.g. /var/www/html/ticky; default: ./ticky-report

Builds the report in a private folder in \$TMPDIR (or /tmp), then publishes it with ticky-publish:
a new folder OUTDIR/runs/TIME, and one rename of the link OUTDIR/current, so readers see the
whole old report or the whole new one. OUTDIR/index.html, error_message.html,
user_statistics.html, error_message.csv and user_statistics.csv are links through current.
Safe to run as root into a folder others can write: see ticky-daily(8). A run that fails, or
a log with nothing to report, exits 1 and leaves the published report as it was.

Options:
  --keep N        run folders to keep in OUTDIR/runs, the published one included (default: 3)
  --min-lines N   refuse to publish when fewer than N lines were understood (default: 1); an
                  empty log, one without a syslog line or without a ticky event is always refused
  --db DB         also keep LOG's records in the SQLite database DB with ticky-store, after
                  publishing (a log stored before adds only its new lines)
  -h, --help      print this help
  -V, --version   print the version

Example crontab line:
  15 0 * * * /usr/local/bin/ticky-daily /var/log/syslog.1 /var/www/html/ticky >/dev/null
USAGE
}

fail() {
    echo "$me: $*" >&2
    exit 1
}

usage_error() {
    echo "$me: $*" >&2
    echo "Try '$me --help' for more information." >&2
    exit 2
}

keep=3
min_lines=1
db=""
args=()
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    -V | --version) echo "$me 0.1.0"; exit 0 ;;
    --keep | --min-lines)
        [ $# -ge 2 ] || usage_error "$1 needs a value"
        [[ $2 =~ ^[0-9]{1,9}$ ]] || usage_error "$1: expected a whole number, not '$2'"
        if [ "$1" = --keep ]; then keep=$2; else min_lines=$2; fi
        shift 2 ;;
    --db)
        [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--db needs the path of a database"
        db=$2
        shift 2 ;;
    --keep=* | --min-lines=* | --db=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --) shift; args+=("$@"); break ;;
    -?*) usage_error "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
    esac
done
[ ${#args[@]} -le 2 ] || usage_error "too many arguments"
[ "$keep" -ge 1 ] || usage_error "--keep: at least 1 (the published run)"

# The sample log ships in the repository (and is installed beside the man pages).
sample=""
for s in "$here/../tests/fixtures/syslog.log" "$here/../share/ticky/sample.log"; do
    [ -f "$s" ] && { sample=$(cd "$(dirname "$s")" && pwd -P)/$(basename "$s"); break; }
done
log=${args[0]:-$sample}
out=${args[1]:-$PWD/ticky-report}
[ -n "$log" ] || fail "no LOG given and no sample log found; usage: $me LOG OUTDIR"
[ -f "$log" ] && [ -r "$log" ] || fail "cannot read log file $log; give a readable syslog file"

# The tools: a build next to this script, the installed ones beside it, or PATH.
find_tool() {
    local dir
    for dir in "$here/../target/release" "$here"; do
        [ -x "$dir/$1" ] && { echo "$dir/$1"; return; }
    done
    command -v "$1" || fail "cannot find $1: build it with 'cargo build --release' or install with scripts/install.sh"
}
count=$(find_tool ticky-count)
sort=$(find_tool ticky-sort)
html=$(find_tool ticky-html)
publish=$(find_tool ticky-publish)
[ -z "$db" ] || store=$(find_tool ticky-store)

unchanged="the report in $out is unchanged"

# Everything is built in a folder only this user can enter (mktemp -d makes it 0700 under a
# random name), so nobody can swap a file of it while the tools write; ticky-publish then sets
# the published files' modes itself.
umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ticky-daily.XXXXXX") ||
    fail "cannot create a private folder in ${TMPDIR:-/tmp}; set TMPDIR to a folder with room; $unchanged"
trap 'rm -rf -- "$tmp"' EXIT
report=$tmp/report
mkdir "$report"

# One ticky-count reads the log itself (on every core; a gzip file decompressed, dated by its own
# modification time) and makes both tables in one pass; it parses each line as ticky-parse would,
# and writes the summary of what it understood for the checks below.
pipeline() {
    local tables=(--format syslog --summary-csv "$tmp/summary.csv"
        --by error --header Error,Count --output "$report/error_message.csv"
        --and --by user --pivot level --columns INFO,ERROR --header Username,INFO,ERROR)
    "$count" "${tables[@]}" -- "$log" 2>"$tmp/count.err" | "$sort" --by Username >"$report/user_statistics.csv"
}
status=0
pipeline || status=$?
if [ "$status" != 0 ]; then
    cat "$tmp/count.err" >&2
    fail "counting $log failed; $unchanged"
fi

# The numbers of the summary, a one-row CSV table that ticky-count writes for scripts.
IFS=, read -r lines bad no_header _ _ events _ < <(sed -n 2p "$tmp/summary.csv") || true
for n in "${lines:-}" "${bad:-}" "${no_header:-}" "${events:-}"; do
    [[ $n =~ ^[0-9]+$ ]] || fail "ticky-count wrote no summary; $unchanged"
done

# A report that says nothing must not replace one that did.
understood=$((lines - bad))
[ "$lines" -gt 0 ] ||
    fail "$log is empty: nothing to report (was it rotated already? give the rotated file, e.g. syslog.1); $unchanged"
[ "$understood" -gt 0 ] ||
    fail "no line of $log was understood ($no_header of $lines without a syslog header): is it a syslog file? $unchanged"
[ "$events" -gt 0 ] ||
    fail "$log holds no ticky event (INFO or ERROR with a user) in its $lines lines: is it the log the ticky service writes to? $unchanged"
[ "$understood" -ge "$min_lines" ] ||
    fail "only $understood of $lines lines of $log were understood, fewer than --min-lines $min_lines; $unchanged"

when=$(date -u '+%Y-%m-%d %H:%M UTC')
[ "$lines" = 1 ] && lines="1 line" || lines="$lines lines"
source_line="From $log, $when: $lines, $bad not fully understood."

"$html" --title "Errors by frequency" --subtitle "$source_line" --back index.html --totals --shares \
    "$report/error_message.csv" >"$report/error_message.html" ||
    fail "ticky-html failed; $unchanged"
"$html" --title "Usage per user" --subtitle "$source_line" --back index.html --totals --shares --bar ERROR \
    "$report/user_statistics.csv" >"$report/user_statistics.html" ||
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
<p class="sub">In the CSV files, a cell that a spreadsheet would run as a formula (one starting with
=, +, -, @, a tab or a carriage return) begins with an apostrophe, so it opens as the text it is.</p>
</main>
</body>
</html>
HTML
} >"$report/index.html"

# Publish: a new run folder in OUTDIR, switched to with one rename; CSV cells that a spreadsheet
# would run as formulas get a leading '. The parent folders are made readable for the web server.
(umask 022 && mkdir -p -- "$(dirname -- "$out")") || fail "cannot create the folder of $out; $unchanged"
"$publish" --keep "$keep" -- "$report" "$out" || fail "publishing into $out failed; $unchanged"
echo "$me: report published in $out/index.html ($lines, $bad not fully understood)"

# The records too, for later questions: ticky-store adds only what it did not store before.
if [ -n "$db" ]; then
    "$store" -q --format syslog -- "$db" "$log" 2>"$tmp/store.err" || {
        cat "$tmp/store.err" >&2
        fail "storing the records of $log into $db failed; the report was published"
    }
    echo "$me: records stored in $db"
fi
