//! Web access logs through the real binaries: a generated log's requests per status, path and
//! address equal the generator's truth and GoAccess's report of the same log; each request time in
//! milliseconds, exactly; the other forms (common, vhost_combined, Apache's %D) and the lines that
//! are no access log line; ticky-store's columns.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{count_table, json_lines, sql_counts, truth_counts, Workdir};
use serde_json::Value;

/// A generated access log and its truth.
fn generate(wd: &Workdir, lines: &str, seed: &str, messy: bool) -> Value {
    let mut cmd = wd.command("ticky-gen");
    cmd.args(["--format", "combined", "-n", lines, "--seed", seed, "--truth", "truth.json"]);
    if messy {
        cmd.arg("--messy");
    }
    let log = wd.stdout(&mut cmd, "");
    wd.write("access.log", log);
    serde_json::from_slice(&wd.read("truth.json")).unwrap()
}

#[test]
fn requests_per_status_path_and_address_equal_the_generators_truth() {
    let wd = Workdir::new("access-truth");
    let truth = generate(&wd, "60000", "11", true);
    let count = |args: &[&str]| {
        let out = wd.output(wd.command("ticky-count").args(args).arg("access.log"), "");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (out.stdout, String::from_utf8(out.stderr).unwrap())
    };
    let (_, stderr) = count(&["--by", "path", "-o", "paths.csv"]);
    let paths = count_table(&wd.read("paths.csv"));
    assert_eq!(paths, truth_counts(&truth, "paths"));
    // Told from the first line, and said; the lines that are no access log line counted.
    assert!(stderr.contains("access.log: read as an access log"), "{stderr}");
    let not_understood = truth["not_understood"].as_u64().unwrap();
    assert!(
        stderr.contains(&format!(
            "{not_understood} of 60000 lines not fully understood: {not_understood} lines not in an access log format"
        )),
        "{stderr}"
    );
    for (field, key) in [("status", "statuses"), ("ip", "ips")] {
        let (csv, _) = count(&["--by", field]);
        assert_eq!(count_table(&csv), truth_counts(&truth, key), "--by {field}");
        // On one thread, and through ticky-parse's records, the same bytes.
        let (one, _) = count(&["--by", field, "--threads", "1"]);
        assert_eq!(one, csv);
        let records = wd.stdout(wd.command("ticky-parse").arg("access.log"), "");
        wd.write("records.jsonl", &records);
        let piped = wd.stdout(wd.command("ticky-count").args(["--by", field, "records.jsonl"]), "");
        assert_eq!(piped, csv, "--by {field} through records");
    }
    // Named, the format is not told: nothing said, the same table; read as syslog, all raw.
    let out = wd.output(wd.command("ticky-count").args(["--format", "combined", "--by", "status", "access.log"]), "");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("read as an access log"));
    assert_eq!(count_table(&out.stdout), truth_counts(&truth, "statuses"));
    let (csv, _) = count(&["--format", "syslog", "--by", "status"]);
    assert_eq!(csv, b"status,count\n");
}

#[test]
fn request_times_are_milliseconds_exactly() {
    let wd = Workdir::new("access-durations");
    let truth = generate(&wd, "20000", "5", false);
    let records = json_lines(&wd.stdout(wd.command("ticky-parse").arg("access.log"), ""));
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in &records {
        // Whole milliseconds are written as integers, not 12.0.
        let ms = r["duration_ms"].as_u64().unwrap_or_else(|| panic!("{r}"));
        seen.entry(r["path"].as_str().unwrap().to_string()).or_default().push(ms);
    }
    let want: BTreeMap<String, Vec<u64>> =
        serde_json::from_value::<BTreeMap<String, Vec<u64>>>(truth["durations_ms"].clone()).unwrap();
    assert_eq!(seen, want);
}

#[test]
fn goaccess_counts_the_same_hits_per_path_and_status() {
    let wd = Workdir::new("access-goaccess");
    if Command::new("goaccess").arg("--version").output().is_err() {
        eprintln!("skipped: goaccess is not installed (Debian: apt-get install goaccess)");
        return;
    }
    generate(&wd, "30000", "3", false);
    let mut cmd = Command::new("goaccess");
    cmd.current_dir(&wd.dir).args(["access.log", "--log-format=COMBINED", "--no-query-string", "-o", "report.json"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&wd.read("report.json")).unwrap();
    // GoAccess puts static files and 404s in panels of their own, and a path once per method.
    let mut hits: BTreeMap<String, u64> = BTreeMap::new();
    for panel in ["requests", "static_requests", "not_found"] {
        for row in report[panel]["data"].as_array().unwrap() {
            *hits.entry(row["data"].as_str().unwrap().to_string()).or_default() +=
                row["hits"]["count"].as_u64().unwrap();
        }
    }
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for class in report["status_codes"]["data"].as_array().unwrap() {
        for item in class["items"].as_array().unwrap() {
            let code = item["data"].as_str().unwrap()[..3].to_string();
            *statuses.entry(code).or_default() += item["hits"]["count"].as_u64().unwrap();
        }
    }
    let ours = wd.stdout(
        wd.command("ticky-count").args(["--by", "path", "access.log", "--and", "--by", "status", "-o", "status.csv"]),
        "",
    );
    assert_eq!(count_table(&ours), hits);
    assert_eq!(count_table(&wd.read("status.csv")), statuses);
    assert_eq!(report["general"]["valid_requests"].as_u64(), Some(30000));
}

#[test]
fn common_vhost_and_apache_microseconds() {
    let wd = Workdir::new("access-forms");
    wd.write(
        "apache.log",
        concat!(
            "www.example.com:443 192.0.2.1 - alice [07/Mar/2025:01:02:03 +0100] \"GET /a/b?x=1 HTTP/2.0\" 200 512 ",
            "\"https://example.com/\" \"Mozilla/5.0 \\\"quoted\\\"\" 1234\n",
            "192.0.2.2 - - [07/Mar/2025:01:02:04 +0100] \"POST /form HTTP/1.1\" 201 -\n",
            "192.0.2.3 - - [07/Mar/2025:01:02:05 +0100] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\" 5\n",
            "192.0.2.4 - - [07/Mar/2025:01:02:06 +0100] \"GET / HTTP/1.1\" 200 10 \"-\" \"-\" \"10.0.0.1\" 120000\n",
            "not an access line\n",
        ),
    );
    let out = wd.output(wd.command("ticky-parse").args(["--duration-unit", "us", "apache.log"]), "");
    assert!(out.status.success());
    let r = json_lines(&out.stdout);
    assert_eq!(r[0]["vhost"], "www.example.com:443");
    assert_eq!(r[0]["ip"], "192.0.2.1");
    assert_eq!(r[0]["user"], "alice");
    assert_eq!(r[0]["time"], "2025-03-07T01:02:03+01:00");
    assert_eq!((&r[0]["method"], &r[0]["path"], &r[0]["query"]), (&"GET".into(), &"/a/b".into(), &"x=1".into()));
    assert_eq!(r[0]["agent"], "Mozilla/5.0 \\\"quoted\\\"");
    assert_eq!(r[0]["duration_ms"].as_f64(), Some(1.234));
    // Common: no referer, agent or time; no body, no bytes.
    assert_eq!(r[1]["status"], 201);
    for key in ["bytes", "referer", "agent", "duration_ms", "user"] {
        assert!(r[1].get(key).is_none(), "{key}: {}", r[1]);
    }
    // A scanner's bytes: a request, but no method or path.
    assert!(r[2].get("path").is_none() && r[2]["status"] == 400 && r[2]["duration_ms"].as_f64() == Some(0.005));
    // Fields after the agent: the last, a number, is the request time.
    assert_eq!(r[3]["duration_ms"], 120);
    assert_eq!(r[4]["raw"], "not an access line");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 5 lines not fully understood: 1 line not in an access log format"), "{err}");
    // --format combined with the unit given after it, and --strict on the raw line.
    let out = wd.output(
        wd.command("ticky-parse").args(["--format", "common", "--duration-unit", "ms", "--strict", "apache.log"]),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out.stdout)[3]["duration_ms"], 120000);
    let err = wd.fails(wd.command("ticky-parse").args(["--format", "jsonl"]), "", 2);
    assert!(err.contains("ticky-parse reads logs"), "{err}");
    let err = wd.fails(wd.command("ticky-parse").args(["--duration-unit", "min"]), "", 2);
    assert!(err.contains("expected s, ms or us"), "{err}");
}

#[test]
fn ticky_store_fills_the_access_columns() {
    let wd = Workdir::new("access-store");
    let truth = generate(&wd, "5000", "8", true);
    let out = wd.output(wd.command("ticky-store").args(["-q", "web.db", "access.log"]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_status =
        sql_counts(&wd, "web.db", "SELECT status, count(*) FROM records WHERE status IS NOT NULL GROUP BY status");
    assert_eq!(by_status, truth_counts(&truth, "statuses"));
    // Typed: status an integer, duration_ms a real, the time as ticky-parse writes it.
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).args([
        "web.db",
        "SELECT typeof(status), typeof(duration_ms), time FROM records WHERE status IS NOT NULL LIMIT 1",
    ]);
    let row = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
    assert!(row.starts_with("integer|real|2025-01-31T00:00:"), "{row}");
}

#[test]
fn quotes_escapes_and_bad_bytes_in_any_field_make_valid_json() {
    let wd = Workdir::new("access-escapes");
    let t = "[01/Jan/2025:00:00:00 +0000]";
    // Each line, the field that holds something to escape, and its value as JSON reads it back:
    // a quote where a word may hold one (before the time), the server's own escapes kept as
    // logged, a control character, invalid UTF-8; and a clean line next to them.
    let cases: [(Vec<u8>, &str, &str); 7] = [
        (format!("1.2.3.4 - a\"b {t} \"GET /x HTTP/1.1\" 200 5 \"-\" \"ua\"").into_bytes(), "user", "a\"b"),
        (format!("1\"2 - - {t} \"GET /y HTTP/1.1\" 200 5 \"-\" \"ua\"").into_bytes(), "ip", "1\"2"),
        (format!("vh\"ost:80 1.2.3.4 - - {t} \"GET / HTTP/1.1\" 200 5").into_bytes(), "vhost", "vh\"ost:80"),
        (
            format!("1.2.3.4 - - {t} \"GET / HTTP/1.1\" 200 5 \"-\" \"a \\\"q\\\" b\"").into_bytes(),
            "agent",
            "a \\\"q\\\" b",
        ),
        (format!("1.2.3.4 - - {t} \"GET /\x01 HTTP/1.1\" 200 5").into_bytes(), "path", "/\u{1}"),
        ([&b"1.2.3.4 - - "[..], t.as_bytes(), b" \"GET /\xff HTTP/1.1\" 200 5"].concat(), "path", "/\u{fffd}"),
        (format!("1.2.3.4 - - {t} \"GET /clean?q=1 HTTP/1.1\" 200 5 \"-\" \"ua\" 0.250").into_bytes(), "query", "q=1"),
    ];
    let log: Vec<u8> = cases.iter().flat_map(|(line, _, _)| [&line[..], b"\n"].concat()).collect();
    wd.write("odd.log", &log);
    let out = wd.stdout(wd.command("ticky-parse").args(["--format", "combined", "odd.log"]), "");
    let records = json_lines(&out);
    assert_eq!(records.len(), cases.len());
    for ((line, field, want), r) in cases.iter().zip(&records) {
        assert_eq!(r[*field], *want, "{} -> {r}", String::from_utf8_lossy(line));
        assert_eq!((r["status"].as_u64(), r["bytes"].as_u64()), (Some(200), Some(5)), "{r}");
    }
    assert_eq!(records[6]["duration_ms"], 250);
}
