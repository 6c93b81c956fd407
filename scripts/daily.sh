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
$me: publish the daily ticky report (a dashboard, the error ranking, per-user statistics) as HTML

Usage: $(basename "$0") [OPTIONS] [LOG [OUTDIR]]

  LOG      the syslog file to report on (gzip is read decompressed); default: the sample log
  OUTDIR   the folder to publish into, e.g. /var/www/html/ticky; default: ./ticky-report

Builds the report in a private folder in \$TMPDIR (or /tmp), then publishes it with ticky-publish
as the report of the day the log covers (the day most of its records fall on): OUTDIR/days/DAY,
replaced when that day is run again, and OUTDIR/index.html for the newest day, with the day's
numbers, their change against the previous day and the last 7, and charts of errors per hour and
per day. Safe to run as root into a folder others can write: see ticky-daily(8). A run that
fails, or a log with nothing to report, exits 1 and leaves the published report as it was.

Options:
  --keep N        days to keep in OUTDIR (and in --archive), the published one included
                  (default: 30)
  --min-lines N   refuse to publish when fewer than N lines were understood (default: 1); an
                  empty log, one without a syslog line or without a ticky event is always refused
  --db DB         also keep LOG's records in the SQLite database DB with ticky-store, after
                  publishing (a log stored before adds only its new lines)
  --mail ADDR     mail a plain-text summary to ADDR (repeatable) when the report is published,
                  and the error when the run fails, through sendmail -t -oi
  --url URL       the report's address for the mail (default: OUTDIR/index.html)
  --archive DIR   keep LOG gzip-compressed as DIR/NAME-DAY.gz (a folder of this user that
                  nobody else can write); skipped when LOG is compressed already
  -h, --help      print this help
  -V, --version   print the version

Example crontab line:
  15 0 * * * /usr/local/bin/ticky-daily --mail ops@example.com /var/log/syslog.1 /var/www/html/ticky >/dev/null
USAGE
}

mail_to=()
fail() {
    echo "$me: $*" >&2
    if [ ${#mail_to[@]} -gt 0 ]; then
        # The message names files and quotes tools; control characters are dropped from it.
        printf '%s\n' "$*" | LC_ALL=C tr -d '\000-\010\013-\037\177' |
            send_mail "ticky-daily FAILED on $(hostname 2>/dev/null || echo this host)" || true
    fi
    exit 1
}

# Sends standard input as a plain-text mail to the --mail addresses, with subject $1.
send_mail() {
    local sendmail=/usr/sbin/sendmail
    [ -x "$sendmail" ] || sendmail=$(command -v sendmail) || {
        echo "$me: cannot mail: no sendmail (install an MTA such as msmtp-mta or postfix)" >&2
        return 1
    }
    local to
    to=$(IFS=,; echo "${mail_to[*]}")
    {
        printf 'To: %s\nSubject: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n' "$to" "$1"
        cat
    } | "$sendmail" -t -oi || {
        echo "$me: sendmail failed; the mail to $to was not sent" >&2
        return 1
    }
}

usage_error() {
    echo "$me: $*" >&2
    echo "Try '$me --help' for more information." >&2
    exit 2
}

keep=30
min_lines=1
db=""
url=""
archive=""
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
    --db | --url | --archive)
        [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
        case $1 in --db) db=$2 ;; --url) url=$2 ;; --archive) archive=$2 ;; esac
        shift 2 ;;
    --mail)
        [ $# -ge 2 ] || usage_error "--mail needs an address"
        # One address, as a mail header carries it: no spaces, commas, angle brackets or controls.
        [[ $2 =~ ^[^[:space:][:cntrl:],\<\>]+@[^[:space:][:cntrl:],\<\>@]+$ ]] ||
            usage_error "--mail: expected one address such as ops@example.com, not '$2'"
        mail_to+=("$2")
        shift 2 ;;
    --keep=* | --min-lines=* | --db=* | --url=* | --archive=* | --mail=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --) shift; args+=("$@"); break ;;
    -?*) usage_error "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
    esac
done
[ ${#args[@]} -le 2 ] || usage_error "too many arguments"
[ "$keep" -ge 1 ] || usage_error "--keep: at least 1 (the published day)"

# The sample log ships in the repository (and is installed beside the man pages).
sample=""
for s in "$here/../tests/fixtures/syslog.log" "$here/../share/ticky/sample.log"; do
    [ -f "$s" ] && { sample=$(cd "$(dirname "$s")" && pwd -P)/$(basename "$s"); break; }
done
log=${args[0]:-$sample}
out=${args[1]:-$PWD/ticky-report}
[ -n "$log" ] || fail "no LOG given and no sample log found; usage: $me LOG OUTDIR"
[ -f "$log" ] && [ -r "$log" ] || fail "cannot read log file $log; give a readable syslog file"
if [ -n "$archive" ]; then
    # The archive holds whole logs: it must be this user's and writable by nobody else.
    [ -d "$archive" ] && [ ! -L "$archive" ] || fail "--archive $archive: not a folder; create it (mkdir -m 700) first"
    read -r owner mode < <(stat -c '%u %a' -- "$archive")
    [ "$owner" = "$(id -u)" ] && (( (8#$mode & 8#022) == 0 )) ||
        fail "--archive $archive: must belong to user $(id -u) and be writable by nobody else (mode $mode, owner $owner)"
fi

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
# modification time) and makes every table in one pass; it parses each line as ticky-parse would,
# and writes the summary of what it understood for the checks below. The events per hour give
# the chart, the period the log covers and the day's totals. (A ticky event's level comes only
# with its user: the level columns count events with a user, and need no --where.)
pipeline() {
    local tables=(--format syslog --summary-csv "$tmp/summary.csv"
        --by error --header Error,Count --output "$report/error_message.csv"
        --and --by time/1h --pivot level --columns INFO,ERROR --header Hour,INFO,ERROR
        --output "$report/events_per_hour.csv"
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

# The period the log covers: from the first to the end of the last hour with ticky events (times
# as ticky-count writes them: ISO 8601, with the log's offset when it has one). The day of the
# report is the day of the middle of that period, in local time, so a log rotated at 06:25 reports
# on the day most of its events fall on.
iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$'
first=$(sed -n '2{s/,.*//;p;q}' "$report/events_per_hour.csv")
last=$(sed -n '${s/,.*//;p}' "$report/events_per_hour.csv")
[[ $first =~ $iso && $last =~ $iso ]] || fail "no ticky event of $log has a time; $unchanged"
start=$(date -d "$first" +%s) && end=$(($(date -d "$last" +%s) + 3600)) ||
    fail "cannot read the times $first and $last; $unchanged"
day=$(date -d "@$(((start + end) / 2))" +%F)
if [ "$(date -d "@$start" +%F)" = "$(date -d "@$((end - 1))" +%F)" ]; then
    to=$(date -d "@$end" +%H:%M)
    [ "$to" = 00:00 ] && to=24:00
    period="Covers $(date -d "@$start" '+%Y-%m-%d, %H:%M') to $to $(date -d "@$start" +%Z)"
else
    period="Covers $(date -d "@$start" '+%Y-%m-%d %H:%M') to $(date -d "@$end" '+%Y-%m-%d %H:%M %Z')"
fi

# The day's totals, one row of the history: the events are the hours' sums (plain numbers).
read -r info errors < <(awk -F, 'NR > 1 { i += $2; e += $3 } END { printf "%d %d\n", i, e }' "$report/events_per_hour.csv")
users=$(($(wc -l <"$report/user_statistics.csv") - 1))
printf 'Day,Lines,Not understood,INFO,ERROR,Users\n%s,%s,%s,%s,%s,%s\n' \
    "$day" "$lines" "$bad" "$info" "$errors" "$users" >"$report/totals.csv"

# The history: the totals of the days published before (read back by ticky-publish, which trusts
# only the job's own files), this day's replacing an earlier run of the same day.
"$publish" --export "$tmp/past" --file totals.csv --file error_message.csv -- "$out" ||
    fail "cannot read the earlier days' totals from $out; $unchanged"
rm -rf -- "${tmp:?}/past/$day"
shopt -s nullglob
"$count" --merge --keys 1 -- "$tmp"/past/*/totals.csv "$report/totals.csv" | "$sort" --by Day >"$report/history.csv" ||
    fail "cannot merge the history of $out; $unchanged"
shopt -u nullglob

"$sort" --by ERROR:nr --by Username "$report/user_statistics.csv" >"$report/user_errors.csv" ||
    fail "ticky-sort failed; $unchanged"

[ "$lines" = 1 ] && lines="1 line" || lines="$lines lines"
source_line="$period. From $(basename -- "$log"): $lines, $bad not fully understood."
run_line="From $(basename -- "$log"), reported $(date -u '+%Y-%m-%d %H:%M UTC')."

page() {
    local file=$1
    shift
    "$html" --back index.html --totals --shares "$@" >"$report/$file" || fail "ticky-html failed on $file; $unchanged"
}
page error_message.html --title "Errors by frequency, $day" --subtitle "$source_line" "$report/error_message.csv"
page user_statistics.html --title "Usage per user, $day" --subtitle "$source_line" --bar ERROR \
    --caption "By user name. Also by errors: user_errors.html" "$report/user_statistics.csv"
page user_errors.html --title "Users by errors, $day" --subtitle "$source_line" --bar ERROR "$report/user_errors.csv"

# The dashboard, twice: index.html for the day's own folder (OUTDIR/days/DAY/), where other days
# are ../DAY/, and home.html for OUTDIR/index.html, where they are days/DAY/.
dashboard=("$html" --dashboard "$report" --past "$tmp/past" --day "$day" --title "ticky daily report"
    --period "$period" --subtitle "$run_line")
"${dashboard[@]}" --days-href ../ --latest ../../index.html >"$report/index.html" &&
    "${dashboard[@]}" --days-href days/ >"$report/home.html" ||
    fail "ticky-html --dashboard failed; $unchanged"

# Publish: a new run folder in OUTDIR, switched to with one rename; CSV cells that a spreadsheet
# would run as formulas get a leading '. The parent folders are made readable for the web server.
(umask 022 && mkdir -p -- "$(dirname -- "$out")") || fail "cannot create the folder of $out; $unchanged"
"$publish" --day "$day" --home home.html --keep "$keep" -- "$report" "$out" ||
    fail "publishing into $out failed; $unchanged"
echo "$me: report for $day published in $out/index.html ($lines, $bad not fully understood)"

if [ ${#mail_to[@]} -gt 0 ]; then
    "${dashboard[@]}" --text --url "${url:-$out/index.html}" >"$tmp/mail.txt" &&
        send_mail "ticky report $day: ${errors:-0} errors, $users users" <"$tmp/mail.txt" ||
        echo "$me: the report was published, but the mail was not sent" >&2
fi

# The log itself, compressed, under the report's day; the newest --keep days kept.
if [ -n "$archive" ]; then
    if [ "$(head -c 2 -- "$log" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
        echo "$me: $log is compressed already; not archived"
    else
        name=$(basename -- "$log")-$day.gz
        gzip -c -- "$log" >"$archive/.$name.tmp" && mv -f -- "$archive/.$name.tmp" "$archive/$name" ||
            fail "archiving $log into $archive failed; the report was published"
        ls -1 -- "$archive" | grep -E -- '-[0-9]{4}-[0-9]{2}-[0-9]{2}\.gz$' |
            sed -E 's/^(.*)-([0-9-]{10})\.gz$/\2 \1-\2.gz/' | sort -r | tail -n +$((keep + 1)) |
            while read -r _ old; do rm -f -- "$archive/$old"; done
        echo "$me: $log archived as $archive/$name"
    fi
fi

# The records too, for later questions: ticky-store adds only what it did not store before.
if [ -n "$db" ]; then
    "$store" -q --format syslog -- "$db" "$log" 2>"$tmp/store.err" || {
        cat "$tmp/store.err" >&2
        fail "storing the records of $log into $db failed; the report was published"
    }
    echo "$me: records stored in $db"
fi
