//! `ticky-count --stats`, time buckets, filters and partial tables, checked against values computed
//! here from first principles, the generator's truth and Miller.

mod common;

use std::collections::BTreeMap;

use common::Workdir;

/// Values in thousandths, per distribution: uniform, log-normal, and one huge outlier among small
/// values.
fn latencies() -> BTreeMap<&'static str, Vec<i64>> {
    let mut rng = common::Rng(7);
    let mut sets = BTreeMap::new();
    sets.insert("uniform", (0..20_000).map(|_| (rng.unit() * 5_000_000.0) as i64).collect());
    sets.insert(
        "lognormal",
        (0..30_000)
            .map(|_| {
                // Box–Muller: a standard normal, then e^(μ + σ·z) milliseconds.
                let z = (-2.0 * (1.0 - rng.unit()).ln()).sqrt() * (2.0 * std::f64::consts::PI * rng.unit()).cos();
                ((4.0 + 1.2 * z).exp() * 1000.0).round() as i64
            })
            .collect(),
    );
    let mut outlier: Vec<i64> = (0..999).map(|_| 10_000 + (rng.unit() * 1000.0) as i64).collect();
    outlier.insert(500, 1_000_000_000_000);
    sets.insert("outlier", outlier);
    sets.insert("few", vec![3000, 1000, 2000]);
    sets
}

/// Thousandths as ticky-count writes exact numbers: no trailing zeros.
fn decimal(v: i64) -> String {
    let text = format!("{}.{:03}", v / 1000, v % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The value of nearest rank ⌈p·n/100⌉ of sorted values.
fn nearest_rank(sorted: &[i64], p: usize) -> i64 {
    sorted[(p * sorted.len()).div_ceil(100).max(1) - 1]
}

/// A stats table as rows of cells by key (the first column).
fn table(csv: &[u8]) -> BTreeMap<String, Vec<String>> {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(
        header.split(',').skip(1).collect::<Vec<_>>(),
        ["count", "min", "mean", "p50", "p90", "p95", "p99", "max", "sum"]
    );
    lines
        .map(|l| {
            let cells: Vec<String> = l.split(',').map(String::from).collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

fn records(sets: &BTreeMap<&str, Vec<i64>>) -> String {
    let mut out = String::new();
    // Interleaved, so that no key's values come in one run.
    let longest = sets.values().map(Vec::len).max().unwrap();
    for i in 0..longest {
        for (k, values) in sets {
            if let Some(&v) = values.get(i) {
                out += &format!("{{\"k\":\"{k}\",\"v\":{}}}\n", decimal(v));
            }
        }
    }
    out
}

#[test]
fn percentiles_are_within_one_percent_of_the_nearest_rank_and_exact_with_exact() {
    let wd = Workdir::new("stats-percentiles");
    let sets = latencies();
    wd.write("values.jsonl", records(&sets));
    let sketch = table(&wd.stdout(wd.command("ticky-count").args(["--by", "k", "--stats", "v", "values.jsonl"]), ""));
    let exact =
        table(&wd.stdout(wd.command("ticky-count").args(["--by", "k", "--stats", "v", "--exact", "values.jsonl"]), ""));
    assert_eq!(sketch.len(), sets.len());
    for (k, values) in &sets {
        let mut sorted = values.clone();
        sorted.sort();
        let sum: i64 = values.iter().sum();
        for got in [&sketch[*k], &exact[*k]] {
            assert_eq!(got[0], values.len().to_string(), "{k}: count");
            assert_eq!(got[1], decimal(sorted[0]), "{k}: min");
            assert_eq!(got[7], decimal(*sorted.last().unwrap()), "{k}: max");
            assert_eq!(got[8], decimal(sum), "{k}: sum");
            let mean = sum as f64 / 1000.0 / values.len() as f64;
            let m: f64 = got[2].parse().unwrap();
            assert!((m - mean).abs() <= mean * 1e-5, "{k}: mean {m} against {mean}");
        }
        for (i, p) in [50, 90, 95, 99].into_iter().enumerate() {
            let truth = nearest_rank(&sorted, p);
            assert_eq!(exact[*k][3 + i], decimal(truth), "{k}: p{p} with --exact");
            let got: f64 = sketch[*k][3 + i].parse().unwrap();
            let truth = truth as f64 / 1000.0;
            assert!((got - truth).abs() <= truth * 0.01, "{k}: p{p} {got} against {truth}");
        }
    }
}

#[test]
fn request_times_of_an_access_log_match_the_generators_and_read_on_every_core() {
    let wd = Workdir::new("stats-access");
    let log =
        wd.stdout(wd.command("ticky-gen").args(["--format", "combined", "-n", "150000", "--truth", "truth.json"]), "");
    // Large enough to be split across threads.
    assert!(log.len() > 4 << 20);
    wd.write("access.log", &log);
    let truth: serde_json::Value = serde_json::from_slice(&wd.read("truth.json")).unwrap();
    let args = ["--by", "path", "--stats", "duration_ms", "--format", "combined", "access.log"];
    let one = wd.stdout(wd.command("ticky-count").args(args).args(["--threads", "1"]), "");
    let two = wd.stdout(wd.command("ticky-count").args(args).args(["--threads", "2"]), "");
    assert_eq!(one, two, "the parts' stats merge into the whole's");
    let got = table(&one);
    let durations = truth["durations_ms"].as_object().unwrap();
    assert_eq!(got.len(), durations.len());
    for (path, values) in durations {
        let mut sorted: Vec<i64> = values.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        sorted.sort();
        let row = &got[path];
        assert_eq!(row[0], sorted.len().to_string(), "{path}");
        for (i, p) in [50, 90, 95, 99].into_iter().enumerate() {
            let truth = nearest_rank(&sorted, p) as f64;
            let v: f64 = row[3 + i].parse().unwrap();
            assert!((v - truth).abs() <= truth * 0.01, "{path} p{p}: {v} against {truth}");
        }
    }
}

#[test]
fn percentiles_agree_with_miller() {
    let wd = Workdir::new("stats-miller");
    if std::process::Command::new("mlr").arg("--version").output().is_err() {
        eprintln!("skipped: Miller (mlr) is not installed; scripts/test.sh installs it");
        return;
    }
    let sets = latencies();
    wd.write("values.jsonl", records(&sets));
    let ours = table(&wd.stdout(wd.command("ticky-count").args(["--by", "k", "--stats", "v", "values.jsonl"]), ""));
    let mut mlr = std::process::Command::new("mlr");
    mlr.current_dir(&wd.dir).args([
        "--ijsonl",
        "--ocsv",
        "stats1",
        "-a",
        "count,p50,p95,p99",
        "-f",
        "v",
        "-g",
        "k",
        "values.jsonl",
    ]);
    let theirs = String::from_utf8(wd.stdout(&mut mlr, "")).unwrap();
    let mut lines = theirs.lines();
    assert_eq!(lines.next(), Some("k,v_count,v_p50,v_p95,v_p99"));
    let mut compared = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let row = &ours[cells[0]];
        assert_eq!(row[0], cells[1], "{}: count", cells[0]);
        // Miller takes the value at index ⌊p·n/100⌋ (from 0), one rank above the nearest rank
        // at most: with thousands of values, well within 1 % unless the data jumps there.
        for (col, mine) in [(2, 3), (3, 5), (4, 6)] {
            let (m, t): (f64, f64) = (row[mine].parse().unwrap(), cells[col].parse().unwrap());
            if sets[cells[0]].len() >= 1000 {
                assert!((m - t).abs() <= t * 0.01, "{}: {m} against Miller's {t}", cells[0]);
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 9);
}

#[test]
fn stats_of_ten_million_values_of_one_key_stay_small() {
    let wd = Workdir::new("stats-memory");
    // Ten million values spread over seven decades, generated on the fly.
    let script = "awk 'BEGIN { for (i = 1; i <= 10000000; i++) printf \"{\\\"k\\\":\\\"a\\\",\\\"v\\\":%d.%d}\\n\", (i * 7919) % 9999991, i % 10 }' \
                  | ticky-count --by k --stats v";
    let kib = common::peak_kib(&wd, script);
    assert!(kib < 16 * 1024, "peak {kib} KiB");
    let out = wd.sh(&format!("{script} | tail -1"));
    let row = String::from_utf8(out.stdout).unwrap();
    assert!(row.starts_with("a,10000000,"), "{row}");
}

/// Records `{"time":…,"level":…,"ms":…}` at the given minutes after 2025-01-31 00:00 UTC.
fn timed(events: &[(u32, &str, u32)]) -> String {
    events
        .iter()
        .map(|(minute, level, ms)| {
            format!(
                "{{\"time\":\"2025-01-31T{:02}:{:02}:30+00:00\",\"level\":\"{level}\",\"ms\":{ms}}}\n",
                minute / 60,
                minute % 60
            )
        })
        .collect()
}

#[test]
fn time_buckets_are_ordered_by_time_with_empty_ones_as_zero_rows() {
    let wd = Workdir::new("stats-buckets");
    let input = timed(&[(190, "ERROR", 5), (10, "ERROR", 7), (20, "INFO", 9), (25, "ERROR", 1)]);
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "time/1h"]), &input);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "time/1h,count\n2025-01-31T00:00:00+00:00,3\n2025-01-31T01:00:00+00:00,0\n\
         2025-01-31T02:00:00+00:00,0\n2025-01-31T03:00:00+00:00,1\n"
    );
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "time/1h", "--stats", "ms"]), &input);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "time/1h,count,min,mean,p50,p90,p95,p99,max,sum\n2025-01-31T00:00:00+00:00,3,1,5.66667,7,9,9,9,9,17\n\
         2025-01-31T01:00:00+00:00,0,,,,,,,,\n2025-01-31T02:00:00+00:00,0,,,,,,,,\n\
         2025-01-31T03:00:00+00:00,1,5,5,5,5,5,5,5,5\n"
    );
    // With another key field: by time, then by count; no zero rows.
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "time/15m,level"]), &input);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "time/15m,level,count\n2025-01-31T00:00:00+00:00,ERROR,1\n2025-01-31T00:15:00+00:00,ERROR,1\n\
         2025-01-31T00:15:00+00:00,INFO,1\n2025-01-31T03:00:00+00:00,ERROR,1\n"
    );
    // In another zone, the day starts at its midnight.
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "time/1d", "--tz", "-05:00"]), &input);
    assert_eq!(String::from_utf8(got).unwrap(), "time/1d,count\n2025-01-30T00:00:00-05:00,4\n");
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "level", "--order", "key"]), &input);
    assert_eq!(String::from_utf8(got).unwrap(), "level,count\nERROR,3\nINFO,1\n");
    let err = wd.fails(wd.command("ticky-count").args(["--by", "time/1h"]), "{\"time\":\"yesterday\"}\n", 0);
    assert!(err.contains("1 record without a time that reads as ISO 8601"), "{err}");
}

#[test]
fn errors_per_hour_equal_the_generators() {
    let wd = Workdir::new("stats-errors-per-hour");
    for messy in [false, true] {
        let mut gen = wd.command("ticky-gen");
        gen.args(["-n", "120000", "--truth", "truth.json"]);
        if messy {
            gen.arg("--messy");
        }
        wd.write("syslog.log", wd.stdout(&mut gen, ""));
        let truth: serde_json::Value = serde_json::from_slice(&wd.read("truth.json")).unwrap();
        let expected = common::truth_counts(&truth, "errors_per_hour");
        let out = wd.stdout(
            wd.command("ticky-count").args([
                "--by",
                "time/1h",
                "--where",
                "level=ERROR",
                "--year",
                "2025",
                "syslog.log",
            ]),
            "",
        );
        let got: BTreeMap<String, u64> = common::count_table(&out).into_iter().filter(|(_, n)| *n > 0).collect();
        assert_eq!(got, expected, "messy: {messy}");
    }
}

#[test]
fn where_compares_numbers_and_since_until_bound_the_time() {
    let wd = Workdir::new("stats-where");
    let input = timed(&[(10, "ERROR", 1500), (70, "ERROR", 200), (130, "INFO", 1001), (131, "ERROR", 999)]);
    let count = |args: &[&str]| {
        // A time without an offset is local: TZ says where.
        let out = wd.stdout(wd.command("ticky-count").env("TZ", "UTC").args(["--by", "level"]).args(args), &input);
        common::count_table(&out)
    };
    let map = |pairs: &[(&str, u64)]| pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect::<BTreeMap<_, _>>();
    assert_eq!(count(&["--where", "ms>1000"]), map(&[("ERROR", 1), ("INFO", 1)]));
    assert_eq!(count(&["--where", "ms>=200", "--where", "ms<=999"]), map(&[("ERROR", 2)]));
    assert_eq!(count(&["--where", "level~^E"]), map(&[("ERROR", 3)]));
    assert_eq!(count(&["--where", "level!=ERROR"]), map(&[("INFO", 1)]));
    // --until is excluded: 02:10:30 is not counted, 02:10:31 is.
    assert_eq!(count(&["--since", "2025-01-31T01:00", "--until", "2025-01-31T02:10:30Z"]), map(&[("ERROR", 1)]));
    assert_eq!(
        count(&["--since", "2025-01-31T01:00", "--until", "2025-01-31T02:10:31Z"]),
        map(&[("ERROR", 1), ("INFO", 1)])
    );
    // 02:00 at +01:00 is 01:00 UTC.
    assert_eq!(count(&["--tz", "+01:00", "--since", "2025-01-31T02:00"]), map(&[("ERROR", 2), ("INFO", 1)]));
    assert_eq!(count(&["--since", "2025-01-31T03:00:00+01:00"]), map(&[("ERROR", 1), ("INFO", 1)]));
    let err = wd.fails(wd.command("ticky-count").args(["--by", "level", "--since", "last week"]), "", 2);
    assert!(err.contains("--since: \"last week\" is not a time"), "{err}");
}

#[test]
fn a_condition_or_pivot_column_that_matched_nothing_names_the_values_seen() {
    let wd = Workdir::new("stats-warnings");
    let input = timed(&[(10, "ERROR", 1), (70, "INFO", 2)]);
    let out = wd.output(wd.command("ticky-count").args(["--by", "level", "--where", "level==error"]), &input);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--where level==error matched no record; values of level seen: \"ERROR\", \"INFO\""), "{err}");
    assert_eq!(out.stdout, b"level,count\n");
    let out = wd.output(
        wd.command("ticky-count").args(["--by", "time/1d", "--pivot", "level", "--columns", "INFO,Error"]),
        &input,
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--pivot level: no record has Error, so its column is all zero; values of level seen: \"ERROR\""),
        "{err}"
    );
    let out = wd.output(wd.command("ticky-count").args(["--by", "level", "--stats", "level"]), &input);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 records without a number in level not in the stats"), "{err}");
}

#[test]
fn merged_partials_equal_the_whole_byte_for_byte() {
    let wd = Workdir::new("stats-partials");
    let log = wd.stdout(wd.command("ticky-gen").args(["--format", "combined", "-n", "30000"]), "");
    wd.write("whole.log", &log);
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let third = lines.len() / 3;
    for (i, part) in [&lines[..third], &lines[third..2 * third], &lines[2 * third..]].iter().enumerate() {
        wd.write(&format!("part{i}.log"), part.concat());
    }
    let tables: [&[&str]; 6] = [
        &["--by", "status"],
        &["--by", "path", "--pivot", "method", "--columns", "GET,POST"],
        &["--by", "time/10m"],
        &["--by", "time/1h,status"],
        &["--by", "path", "--stats", "duration_ms"],
        &["--by", "time/30m", "--stats", "bytes", "--exact"],
    ];
    for args in tables {
        let stats = args.contains(&"--stats");
        let whole = wd.stdout(wd.command("ticky-count").args(args).arg("whole.log"), "");
        for i in 0..3 {
            let mut cmd = wd.command("ticky-count");
            cmd.args(args).args(["-o", &format!("part{i}.csv"), &format!("part{i}.log")]);
            if stats {
                cmd.arg("--partial");
            }
            wd.stdout(&mut cmd, "");
        }
        let mut merge = wd.command("ticky-count");
        merge.args(["--merge", "part0.csv", "part1.csv", "part2.csv"]);
        if args.contains(&"--pivot") {
            merge.args(["--keys", "1"]);
        }
        let merged = wd.stdout(&mut merge, "");
        assert_eq!(String::from_utf8_lossy(&merged), String::from_utf8_lossy(&whole), "{args:?}");
    }
}

#[test]
fn a_page_of_time_buckets_has_a_chart_totals_and_grouped_digits_in_chromium() {
    let wd = Workdir::new("stats-html");
    let log = wd.stdout(wd.command("ticky-gen").args(["--format", "combined", "-n", "60000"]), "");
    wd.write("access.log", &log);
    let table = wd.stdout(wd.command("ticky-count").args(["--by", "time/1h", "access.log"]), "");
    wd.write("hourly.csv", &table);
    let counts = common::count_table(&table);
    let page = wd.stdout(
        wd.command("ticky-html").args(["--title", "Requests", "--totals", "--caption", "per <hour>", "hourly.csv"]),
        "",
    );
    wd.write("hourly.html", &page);
    let url = format!("file://{}", wd.path("hourly.html").display());
    let dom = String::from_utf8(common::chromium(&["--dump-dom", &url]).stdout).unwrap();
    // One bar per hour with requests, in an SVG that Chromium parsed as such.
    assert_eq!(dom.matches("<rect ").count(), counts.values().filter(|&&n| n > 0).count(), "{dom}");
    assert!(dom.contains("<svg viewBox") && dom.contains("<caption>per &lt;hour&gt;</caption>"), "{dom}");
    let total: u64 = counts.values().sum();
    assert!(total >= 1000);
    assert!(
        dom.contains(&format!("<th scope=\"row\">Total</th><td class=\"num\">{}</td>", common::with_commas(total))),
        "{dom}"
    );
    let busiest = counts.values().max().unwrap();
    assert!(dom.contains(&format!("<span>{}</span>", common::with_commas(*busiest))), "{dom}");

    // Names from the table, in the chart's legend and labels, are text.
    wd.write("hostile.csv", "time/1h,<script>alert(1)</script>,b\n2025-01-31T00:00:00,1,2\n2025-01-31T01:00:00,3,4\n");
    wd.write("hostile.html", wd.stdout(wd.command("ticky-html").arg("hostile.csv"), ""));
    let url = format!("file://{}", wd.path("hostile.html").display());
    let dom = String::from_utf8(common::chromium(&["--dump-dom", &url]).stdout).unwrap();
    assert!(!dom.contains("<script>") && dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{dom}");
    assert_eq!(dom.matches("<path class=\"line").count(), 2, "a line per count column: {dom}");
}

#[test]
fn a_long_table_shows_its_first_rows_counts_the_rest_and_totals_them_all() {
    let wd = Workdir::new("stats-html-long");
    let rows = 2500u64;
    let mut csv = String::from("Username,INFO,ERROR\n");
    for i in 1..=rows {
        csv += &format!("user{i:04},{i},{}\n", 3 * i);
    }
    wd.write("users.csv", &csv);
    let page = String::from_utf8(wd.stdout(
        wd.command("ticky-html").args(["--totals", "--bar", "ERROR", "--back", "index.html?a=1&b=\"2\"", "users.csv"]),
        "",
    ))
    .unwrap();
    assert_eq!(page.matches("<tr><td>").count(), 1000);
    assert!(page.contains("The first 1,000 rows are shown; 1,500 more are in the CSV."), "{page}");
    // The totals count every row, shown or not: n(n+1)/2 and three times that.
    let info = rows * (rows + 1) / 2;
    let totals = format!(
        "<th scope=\"row\">Total</th><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        common::with_commas(info),
        common::with_commas(3 * info)
    );
    assert!(page.contains(&totals), "{page}");
    // The bar is on ERROR: the row of user 1 has its INFO plain and its ERROR with a bar.
    assert!(page.contains("<tr><td>user0001</td><td class=\"num\">1</td><td class=\"num bar\">"), "{page}");
    assert!(page.contains("<a href=\"index.html?a=1&amp;b=&quot;2&quot;\">"), "{page}");
    // Shares of each count column's total, every row's: user 2500's INFO is 2500 of n(n+1)/2.
    let shares =
        String::from_utf8(wd.stdout(wd.command("ticky-html").args(["--shares", "--totals", "users.csv"]), "")).unwrap();
    assert!(shares.contains("<th scope=\"col\" class=\"num\">INFO %</th>"), "{shares}");
    let first = format!("<td class=\"num share\">{:.1}%</td>", 1.0 / info as f64 * 100.0);
    let row = &shares[shares.find("<tr><td>user0001</td>").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains(&format!("<span>1</span></td>{first}")), "{row}");
    assert_eq!(shares.matches("<td class=\"num share\">100%</td>").count(), 2);
    let all = wd.stdout(wd.command("ticky-html").args(["--max-rows", "0", "users.csv"]), "");
    assert_eq!(String::from_utf8(all).unwrap().matches("<tr><td>").count(), rows as usize);
}
