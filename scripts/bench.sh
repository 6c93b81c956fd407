#!/usr/bin/env bash
# The benchmark: ticky against the tools a sysadmin would use instead, on one generated log.
#
#   scripts/bench.sh [LINES]      (default 6000000; BENCH_RUNS=N repetitions, default 3)
#
# Generates, once and cached under target/bench/, a deterministic syslog with ticky-gen (mostly
# ticky lines, some with ticky[pid]:, other daemons mixed in), then times side by side, in
# BENCH_RUNS rounds of one run each, the median of each (wall time, and CPU time of all the
# command's processes, user and system):
#   ticky-parse alone, the design card's pipeline (ticky-parse | ticky-count --by error),
#   ticky-count on the raw log (in process, every core), the whole daily report (scripts/daily.sh),
#   a careful mawk script, grep|sed|sort|uniq -c|sort -rn and the original Python report
#   (../shared/bench/original_report.py, when present) computing the same ranking, and three floors: wc -l reading the log's bytes, ticky-parse
#   piped into wc -l (the card's pipeline if counting cost nothing), and ticky-parse's records
#   moved through a pipe by dd into wc -l (the card's pipeline if parsing cost nothing too);
# ticky-store against sqlite-utils on the first million records; an access log (ticky-gen --format
# combined, ACCESS_LINES lines, default 3000000): ticky-parse on it, and ticky-count's tables by
# status and by path against GoAccess's report of the same log (hits per path checked equal),
# ticky-count --stats against Miller's stats1 (p50/p95/p99 per path checked within 1%); and
# the peak memory (RSS) of each ticky tool. It checks that every contender computed the same
# ranking, that the daily report's user table equals the generator's truth, prints a table and
# writes it to target/bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${1:-6000000}
runs=${BENCH_RUNS:-3}
for tool in mawk /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed (Debian: apt-get install mawk time)" >&2; exit 1; }
done

cargo build --release --quiet
bin=$PWD/target/release
work=$PWD/target/bench
mkdir -p "$work"
log=$work/syslog-$lines.log
truth=$work/syslog-$lines.truth.json
if [ ! -s "$log" ] || [ ! -s "$truth" ]; then
    echo "bench.sh: generating $log" >&2
    "$bin/ticky-gen" --lines "$lines" --seed 42 --truth "$truth" >"$log.tmp"
    mv "$log.tmp" "$log"
fi
original=$PWD/../shared/bench/original_report.py
bytes=$(stat -c %s "$log")
# Read it once so that every contender finds it in the page cache.
cat "$log" >/dev/null
# The records the card's pipeline moves from ticky-parse to ticky-count, for the floor of moving
# them and for ticky-count's peak memory; written anew by this build of ticky-parse.
records=$work/records.jsonl
trap 'rm -f -- "$records" "$work/lines.csv"' EXIT
"$bin/ticky-parse" "$log" >"$records"

cat >"$work/rank.awk" <<'AWK'
# The error ranking: ERROR lines of the ticky program (with or without [pid]), user removed.
{
    i = index($0, " ticky: ERROR ")
    if (i) { msg = substr($0, i + 14) }
    else if (match($0, / ticky\[[0-9]+\]: ERROR /)) { msg = substr($0, RSTART + RLENGTH) }
    else next
    # The user is the final parenthesised group, from the last " (".
    n = length(msg)
    if (substr(msg, n, 1) != ")") next
    j = 0; rest = msg
    while ((k = index(rest, " (")) > 0) { j += k + 1; rest = substr(rest, k + 2) }
    if (j == 0) next
    count[substr(msg, 1, j - 2)]++
}
END { for (m in count) print m "," count[m] }
AWK

# name :: command (run by bash -c with $LOG, $BIN and $WORK set; stdout is the ranking or nothing)
contenders=(
    "wc -l (reading the bytes) :: wc -l \"\$LOG\" >/dev/null"
    "ticky-parse > /dev/null :: \"\$BIN/ticky-parse\" \"\$LOG\" >/dev/null"
    "ticky's records through a pipe (dd | wc) :: dd if=\"\$RECORDS\" bs=16k status=none | wc -l >/dev/null"
    "ticky-parse | wc -l :: \"\$BIN/ticky-parse\" \"\$LOG\" | wc -l >/dev/null"
    "ticky-parse | ticky-count --by error :: \"\$BIN/ticky-parse\" \"\$LOG\" | \"\$BIN/ticky-count\" --by error"
    "ticky-count --by error LOG (every core) :: \"\$BIN/ticky-count\" --by error \"\$LOG\""
    "scripts/daily.sh (whole report) :: scripts/daily.sh \"\$LOG\" \"\$WORK/report\" >/dev/null && cat \"\$WORK/report/error_message.csv\""
    "mawk script | sort :: mawk -f \"\$WORK/rank.awk\" \"\$LOG\" | sort -t, -k2,2nr -k1,1"
    "grep | sed | sort | uniq -c | sort -rn :: grep -E ' ticky(\[[0-9]+\])?: ERROR ' \"\$LOG\" | sed -E 's/.* ticky(\[[0-9]+\])?: ERROR //; s/ \([^()]*\)\$//' | LC_ALL=C sort | uniq -c | sort -rn | awk '{ n = \$1; sub(/^ *[0-9]+ /, \"\"); print \$0 \",\" n }'"
)

# The original Python report prints both tables (CRLF, as Python's csv module writes); its ranking
# is the part before the user table's header.
if [ -f "$original" ] && command -v python3 >/dev/null; then
    contenders+=("original Python report :: python3 \"\$ORIGINAL\" \"\$LOG\" | tr -d '\\r' | sed '/^Username,INFO,ERROR\$/,\$d'")
else
    echo "bench.sh: $original not found: the original Python report is left out" >&2
fi

export LOG=$log RECORDS=$records BIN=$bin WORK=$work ORIGINAL=$original
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
declare -A times cpus seconds cpu
reference=""
# Round after round, every contender once per round: a slow spell of a shared machine then falls on
# all of them alike instead of on whichever ran during it.
for ((r = 1; r <= runs; r++)); do
    echo "bench.sh: round $r of $runs" >&2
    for entry in "${contenders[@]}"; do
        name=${entry%% :: *}
        cmd=${entry#* :: }
        start=$(date +%s.%N)
        /usr/bin/time -f '%U %S' -o "$work/cpu.txt" bash -o pipefail -c "$cmd" >"$work/out.txt"
        end=$(date +%s.%N)
        times[$name]+="$(calc "$end - $start") "
        read -r user sys <"$work/cpu.txt"
        cpus[$name]+="$(calc "$user + $sys") "
        # The ranking, without header, as "message,count" lines in a fixed order, must be the same
        # for all.
        if [ -s "$work/out.txt" ]; then
            ranking=$(grep -v '^[Ee]rror,[Cc]ount$' "$work/out.txt" | LC_ALL=C sort)
            if [ -z "$reference" ]; then
                reference=$ranking
            elif [ "$ranking" != "$reference" ]; then
                echo "bench.sh: $name computed a different ranking:" >&2
                diff <(echo "$reference") <(echo "$ranking") >&2 || true
                exit 1
            fi
        fi
    done
done
for entry in "${contenders[@]}"; do
    name=${entry%% :: *}
    # shellcheck disable=SC2086 # the lists are words on purpose
    seconds[$name]=$(printf '%s\n' ${times[$name]} | median)
    # shellcheck disable=SC2086
    cpu[$name]=$(printf '%s\n' ${cpus[$name]} | median)
    echo "bench.sh: $name: ${seconds[$name]} s, runs: ${times[$name]}" >&2
done

# The daily report's user table against the generator's truth (the original script's table is
# wrong where an error text holds parentheses: its greedy pattern credits "json) body (oren").
python3 - "$truth" "$work/report/user_statistics.csv" <<'PY' || { echo "bench.sh: the user table differs from the truth" >&2; exit 1; }
import csv, json, sys
truth = json.load(open(sys.argv[1]))["users"]
rows = list(csv.reader(open(sys.argv[2], newline="")))[1:]
got = {u: [int(i), int(e)] for u, i, e in rows}
sys.exit(0 if got == {u: list(c) for u, c in truth.items()} else 1)
PY

# ticky-store against sqlite-utils (Debian: apt-get install sqlite-utils) on the same records: the
# first STORE_LINES (default 1,000,000) of the log, raw and as ticky-parse's records, each into a
# new database; the same rows checked by one query over both.
store_lines=${STORE_LINES:-1000000}
head -n "$store_lines" "$log" >"$work/store.log"
head -n "$store_lines" "$records" >"$work/store.jsonl"
store_lines=$(wc -l <"$work/store.log")
store_sums="select count(*), sum(line), count(user), count(distinct user), count(distinct error), sum(ticket), sum(pid), sum(length(message)), sum(length(time)) from records"
declare -a store_raw_t store_json_t
for ((r = 1; r <= runs; r++)); do
    for kind in log jsonl; do
        rm -f "$work/store.db" "$work/store.db-wal" "$work/store.db-shm"
        start=$(date +%s.%N)
        "$bin/ticky-store" -q "$work/store.db" "$work/store.$kind"
        end=$(date +%s.%N)
        if [ "$kind" = log ]; then store_raw_t+=("$(calc "$end - $start")"); else store_json_t+=("$(calc "$end - $start")"); fi
    done
done
store_raw=$(printf '%s\n' "${store_raw_t[@]}" | median)
store_json=$(printf '%s\n' "${store_json_t[@]}" | median)
rss_store=$(rm -f "$work/store.db"* && rss "$bin/ticky-store" -q "$work/store.db" "$work/store.log")
ours=$(sqlite3 "$work/store.db" "$store_sums")
sqlite_utils_s=""
if command -v sqlite-utils >/dev/null && command -v sqlite3 >/dev/null; then
    echo "bench.sh: sqlite-utils insert, once (it is slow)" >&2
    rm -f "$work/su.db"
    start=$(date +%s.%N)
    sqlite-utils insert "$work/su.db" records "$work/store.jsonl" --nl --alter
    end=$(date +%s.%N)
    sqlite_utils_s=$(calc "$end - $start")
    theirs=$(sqlite3 "$work/su.db" "$store_sums")
    [ "$ours" = "$theirs" ] || { echo "bench.sh: ticky-store and sqlite-utils stored different rows: $ours vs $theirs" >&2; exit 1; }
    rm -f "$work/su.db"
else
    echo "bench.sh: sqlite-utils or sqlite3 not found: ticky-store is timed alone" >&2
fi
rm -f "$work/store.db"* "$work/store.log" "$work/store.jsonl"

# An access log: ticky-parse (one core) and ticky-count by status and by path (every core), against
# GoAccess (Debian: apt-get install goaccess) making its report of the same log, once (it is slow).
access_lines=${ACCESS_LINES:-3000000}
access=$work/access-$access_lines.log
if [ ! -s "$access" ]; then
    echo "bench.sh: generating $access" >&2
    "$bin/ticky-gen" --format combined --lines "$access_lines" --seed 42 >"$access.tmp"
    mv "$access.tmp" "$access"
fi
cat "$access" >/dev/null
access_mb=$(calc "$(stat -c %s "$access") / 1000000")
declare -a access_parse_t access_count_t access_pattern_t
for ((r = 1; r <= runs; r++)); do
    start=$(date +%s.%N)
    "$bin/ticky-parse" "$access" >/dev/null 2>&1
    end=$(date +%s.%N)
    access_parse_t+=("$(calc "$end - $start")")
    start=$(date +%s.%N)
    "$bin/ticky-count" --by path "$access" --and --by status -o "$work/status.csv" >"$work/paths.csv" 2>/dev/null
    end=$(date +%s.%N)
    access_count_t+=("$(calc "$end - $start")")
    start=$(date +%s.%N)
    "$bin/ticky-count" --threads 1 --pattern '^%{NGINXACCESS}$' --by status "$access" >/dev/null 2>&1
    end=$(date +%s.%N)
    access_pattern_t+=("$(calc "$end - $start")")
done
access_parse=$(printf '%s\n' "${access_parse_t[@]}" | median)
access_count=$(printf '%s\n' "${access_count_t[@]}" | median)
access_pattern=$(printf '%s\n' "${access_pattern_t[@]}" | median)
goaccess_s=""
if command -v goaccess >/dev/null; then
    echo "bench.sh: goaccess, once (it is slow)" >&2
    start=$(date +%s.%N)
    goaccess "$access" --log-format=COMBINED --no-query-string -o "$work/goaccess.json" >/dev/null 2>&1
    end=$(date +%s.%N)
    goaccess_s=$(calc "$end - $start")
    python3 - "$work/goaccess.json" "$work/paths.csv" <<'PY' || { echo "bench.sh: GoAccess counted other hits per path" >&2; exit 1; }
import csv, json, sys
report = json.load(open(sys.argv[1]))
hits = {}
for panel in ("requests", "static_requests", "not_found"):
    for row in report[panel]["data"]:
        hits[row["data"]] = hits.get(row["data"], 0) + row["hits"]["count"]
ours = {p: int(n) for p, n in list(csv.reader(open(sys.argv[2], newline="")))[1:]}
sys.exit(0 if ours == hits else 1)
PY
    rm -f "$work/goaccess.json"
else
    echo "bench.sh: goaccess not found: the access log is timed with ticky alone" >&2
fi
rm -f "$work/paths.csv" "$work/status.csv"

# Request time percentiles per path: ticky-count --stats on the raw access log (every core) against
# Miller's stats1 (Debian: apt-get install miller) on the same requests, once as the records
# ticky-parse writes (JSON Lines, ticky-count timed on them too) and once as a CSV of path and
# duration_ms only, the smallest input Miller could be given (both made once, not timed). Miller
# holds every value; ticky a histogram per path. They must agree within 1%.
declare -a stats_t
for ((r = 1; r <= runs; r++)); do
    start=$(date +%s.%N)
    "$bin/ticky-count" --by path --stats duration_ms "$access" >"$work/stats.csv" 2>/dev/null
    end=$(date +%s.%N)
    stats_t+=("$(calc "$end - $start")")
done
stats_s=$(printf '%s\n' "${stats_t[@]}" | median)
rss_stats=$(rss "$bin/ticky-count" --by path --stats duration_ms "$access")
mlr_s=""
if command -v mlr >/dev/null; then
    "$bin/ticky-parse" "$access" 2>/dev/null >"$work/access.jsonl"
    declare -a stats_json_t
    for ((r = 1; r <= runs; r++)); do
        start=$(date +%s.%N)
        "$bin/ticky-count" --by path --stats duration_ms "$work/access.jsonl" >/dev/null 2>&1
        end=$(date +%s.%N)
        stats_json_t+=("$(calc "$end - $start")")
    done
    stats_json_s=$(printf '%s\n' "${stats_json_t[@]}" | median)
    echo "bench.sh: Miller stats1, once on records, once on a CSV (it is slow)" >&2
    start=$(date +%s.%N)
    mlr --ijsonl --ocsv stats1 -a p50,p95,p99 -f duration_ms -g path "$work/access.jsonl" >"$work/mlr-json.csv"
    end=$(date +%s.%N)
    mlr_json_s=$(calc "$end - $start")
    mlr --ijsonl --ocsv cut -o -f path,duration_ms "$work/access.jsonl" >"$work/durations.csv"
    rm -f "$work/access.jsonl"
    start=$(date +%s.%N)
    mlr --icsv --ocsv stats1 -a p50,p95,p99 -f duration_ms -g path "$work/durations.csv" >"$work/mlr.csv"
    end=$(date +%s.%N)
    mlr_s=$(calc "$end - $start")
    rss_mlr=$(rss mlr --icsv --ocsv stats1 -a p50,p95,p99 -f duration_ms -g path "$work/durations.csv")
    for theirs in "$work/mlr.csv" "$work/mlr-json.csv"; do
        python3 - "$work/stats.csv" "$theirs" <<'PY' || { echo "bench.sh: ticky-count --stats and Miller differ by more than 1%" >&2; exit 1; }
import csv, sys
ours = {r["path"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
theirs = {r["path"]: r for r in csv.DictReader(open(sys.argv[2], newline=""))}
assert ours.keys() == theirs.keys(), (ours.keys(), theirs.keys())
for path, row in theirs.items():
    for p in ("p50", "p95", "p99"):
        a, b = float(ours[path][p]), float(row["duration_ms_" + p])
        assert abs(a - b) <= 0.01 * b, (path, p, a, b)
PY
    done
    rm -f "$work/durations.csv" "$work/mlr.csv" "$work/mlr-json.csv"
else
    echo "bench.sh: mlr not found: --stats is timed alone" >&2
fi
rm -f "$work/stats.csv"

# Peak memory of each tool on its own input.
"$bin/ticky-count" --by error --header Error,Count "$records" >"$work/errors.csv"
rss_parse=$(rss "$bin/ticky-parse" "$log")
rss_count=$(rss "$bin/ticky-count" --by error "$records")
rss_raw=$(rss "$bin/ticky-count" --by error "$log")
rss_raw1=$(rss "$bin/ticky-count" --threads 1 --by error "$log")
rss_pivot=$(rss "$bin/ticky-count" --by user --pivot level --columns INFO,ERROR "$records")
rss_both=$(rss "$bin/ticky-count" --by error -o /dev/null --and --by user --pivot level --columns INFO,ERROR "$records")
rss_sort=$(rss "$bin/ticky-sort" --by Count:nr "$work/errors.csv")
rss_sort_all=$(rss env TMPDIR="$work" "$bin/ticky-sort" --by user "$records")
rss_html=$(rss "$bin/ticky-html" "$work/errors.csv")
"$bin/ticky-count" --by line,user "$records" >"$work/lines.csv"
rss_html_all=$(rss env TMPDIR="$work" "$bin/ticky-html" "$work/lines.csv")
rm -f "$work/lines.csv"
rm -f "$records"

mb=$(calc "$bytes / 1000000")
card=${seconds["ticky-parse | ticky-count --by error"]}
raw=${seconds["ticky-count --by error LOG (every core)"]}
daily=${seconds["scripts/daily.sh (whole report)"]}
mawk_s=${seconds["mawk script | sort"]}
python_s=${seconds["original Python report"]:-}
{
    printf 'ticky benchmark, %s, %s cores, %s\n' "$(date -u '+%Y-%m-%d')" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    printf 'log: %d lines, %.0f MB (ticky-gen --seed 42); median of %d runs\n\n' "$lines" "$mb" "$runs"
    printf '%-42s %9s %10s %9s\n' "command" "seconds" "log MB/s" "CPU s"
    for entry in "${contenders[@]}"; do
        name=${entry%% :: *}
        printf '%-42s %9.2f %10.0f %9.2f\n' "$name" "${seconds[$name]}" "$(calc "$mb / ${seconds[$name]}")" "${cpu[$name]}"
    done
    printf '\nticky-count on the raw log vs mawk: %.1fx faster (target 5x, %.2f s)\n' "$(calc "$mawk_s / $raw")" "$(calc "$mawk_s / 5")"
    printf 'daily.sh vs mawk: %.1fx faster (target 3x)\n' "$(calc "$mawk_s / $daily")"
    if [ -n "$python_s" ]; then
        printf 'daily.sh vs the original Python report: %.0fx faster (target 40x)\n' "$(calc "$python_s / $daily")"
    fi
    printf 'card pipeline vs mawk: %.1fx faster\n' "$(calc "$mawk_s / $card")"
    printf '  floors: %.2f s if counting cost nothing, %.2f s to move the records through a pipe\n' \
        "${seconds["ticky-parse | wc -l"]}" "${seconds["ticky's records through a pipe (dd | wc)"]}"
    printf "the daily report's user table equals the generator's truth\n"
    printf '\nticky-store, %d records into a new database (target 300,000 records/s)\n' "$store_lines"
    printf '  from the raw log      %6.2f s  %8.0f records/s\n' "$store_raw" "$(calc "$store_lines / $store_raw")"
    printf '  from JSON Lines       %6.2f s  %8.0f records/s\n' "$store_json" "$(calc "$store_lines / $store_json")"
    if [ -n "$sqlite_utils_s" ]; then
        printf '  sqlite-utils insert   %6.2f s  %8.0f records/s (JSON Lines, no index; the same rows)\n' \
            "$sqlite_utils_s" "$(calc "$store_lines / $sqlite_utils_s")"
    fi
    printf '\naccess log, %d lines, %.0f MB (ticky-gen --format combined --seed 42)\n' "$access_lines" "$access_mb"
    printf '  ticky-parse (one core)                  %6.2f s  %5.0f MB/s (target 400)\n' \
        "$access_parse" "$(calc "$access_mb / $access_parse")"
    printf '  ticky-count --by path --and --by status %6.2f s  %5.0f MB/s\n' \
        "$access_count" "$(calc "$access_mb / $access_count")"
    printf "  ticky-count --pattern '^%%{NGINXACCESS}\$' (one core) %6.2f s  %5.0f MB/s (target 100)\n" \
        "$access_pattern" "$(calc "$access_mb / $access_pattern")"
    if [ -n "$goaccess_s" ]; then
        printf '  goaccess --log-format=COMBINED -o .json %6.2f s  %5.0f MB/s; ticky-count %.0fx faster (target 20x), same hits per path\n' \
            "$goaccess_s" "$(calc "$access_mb / $goaccess_s")" "$(calc "$goaccess_s / $access_count")"
    fi
    printf '  ticky-count --by path --stats duration_ms %6.2f s  %5.0f MB/s  %5.1f MB peak\n' \
        "$stats_s" "$(calc "$access_mb / $stats_s")" "$(calc "$rss_stats / 1024")"
    if [ -n "$mlr_s" ]; then
        printf '  ticky-count --stats on its records (JSON Lines) %6.2f s\n' "$stats_json_s"
        printf '  mlr stats1 -a p50,p95,p99 on the records %6.2f s; ticky-count on the log %.0fx faster (target 20x)\n' \
            "$mlr_json_s" "$(calc "$mlr_json_s / $stats_s")"
        printf '  mlr stats1 on a CSV of path,duration_ms only %6.2f s  %5.1f MB peak; ticky-count on the log %.1fx faster\n' \
            "$mlr_s" "$(calc "$rss_mlr / 1024")" "$(calc "$mlr_s / $stats_s")"
        printf '  p50/p95/p99 per path within 1%% of both of Miller'"'"'s\n'
    fi
    printf '\npeak RSS (target under 16 MB per thread)\n'
    printf '  ticky-parse                  %6.1f MB\n' "$(calc "$rss_parse / 1024")"
    printf '  ticky-count, raw log, %d thr. %6.1f MB\n' "$(nproc)" "$(calc "$rss_raw / 1024")"
    printf '  ticky-count, raw log, 1 thr. %6.1f MB\n' "$(calc "$rss_raw1 / 1024")"
    printf '  ticky-count --by error       %6.1f MB\n' "$(calc "$rss_count / 1024")"
    printf '  ticky-count --pivot          %6.1f MB\n' "$(calc "$rss_pivot / 1024")"
    printf '  ticky-count, both tables     %6.1f MB\n' "$(calc "$rss_both / 1024")"
    printf '  ticky-sort (the ranking)     %6.1f MB\n' "$(calc "$rss_sort / 1024")"
    printf '  ticky-sort (every record)    %6.1f MB\n' "$(calc "$rss_sort_all / 1024")"
    printf '  ticky-html (the ranking)     %6.1f MB\n' "$(calc "$rss_html / 1024")"
    printf '  ticky-html (row per user line) %4.1f MB\n' "$(calc "$rss_html_all / 1024")"
    printf '  ticky-store (raw log)        %6.1f MB\n' "$(calc "$rss_store / 1024")"
} | tee target/bench.txt
