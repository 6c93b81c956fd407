//! `--pattern` through the real binaries: a generated access log read by a grok pattern gives the
//! generator's counts; Python's logging layout; `--patterns` files; what a bad pattern is told; a
//! pattern that would backtrack for ever in a backtracking engine finishing at once; ticky-store.

mod common;

use std::process::Command;

use common::{count_table, json_lines, truth_counts, Workdir};
use serde_json::Value;

#[test]
fn a_grok_pattern_counts_an_access_log_as_the_generator_wrote_it() {
    let wd = Workdir::new("pattern-access");
    let log = wd.stdout(
        wd.command("ticky-gen").args(["--format", "combined", "-n", "20000", "--seed", "2", "--truth", "t.json"]),
        "",
    );
    // And a scanner's request, which the shipped pattern leaves raw (--format combined reads it).
    let mut log = log;
    log.extend_from_slice(
        b"198.51.100.1 - - [31/Jan/2025:09:00:00 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\" 0.001\n",
    );
    wd.write("access.log", &log);
    let truth: Value = serde_json::from_slice(&wd.read("t.json")).unwrap();
    let want = |key: &str| truth_counts(&truth, key);
    for (by, key) in [("status", "statuses"), ("ip", "ips")] {
        let out =
            wd.output(wd.command("ticky-count").args(["--pattern", "^%{NGINXACCESS}$", "--by", by, "access.log"]), "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(count_table(&out.stdout), want(key), "--by {by}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("1 of 20001 lines not fully understood: 1 line not matching --pattern"), "{err}");
    }
    // Through ticky-parse's records: the same table, and digits as numbers, the rest as text.
    let records = wd.stdout(wd.command("ticky-parse").args(["--pattern", "^%{NGINXACCESS}$", "access.log"]), "");
    let first = &json_lines(&records)[0];
    assert!(first["status"].is_u64() && first["request_time"].is_string() && first["ip"].is_string(), "{first}");
    wd.write("records.jsonl", &records);
    let piped = wd.stdout(wd.command("ticky-count").args(["--by", "status", "records.jsonl"]), "");
    assert_eq!(count_table(&piped), want("statuses"));
}

#[test]
fn python_logging_and_a_patterns_file() {
    let wd = Workdir::new("pattern-python");
    wd.write(
        "app.log",
        "2025-01-31 00:09:39,123 - app.db - ERROR - Connection lost\n\
         2025-01-31 00:09:40,007 - app.web - INFO - GET /tickets took 42ms\n\
         Traceback (most recent call last):\n\
         2025-01-31 00:09:41,500 - app.db - ERROR - Connection lost\n",
    );
    let out = wd.output(wd.command("ticky-parse").args(["--pattern", "^%{PYTHONLOG}$", "app.log"]), "");
    let r = json_lines(&out.stdout);
    assert_eq!(r[0]["time"], "2025-01-31T00:09:39.123");
    assert_eq!((&r[0]["logger"], &r[0]["level"]), (&"app.db".into(), &"ERROR".into()));
    assert_eq!(r[2]["raw"], "Traceback (most recent call last):");
    let count = wd
        .stdout(wd.command("ticky-count").args(["--pattern", "^%{PYTHONLOG}$", "--by", "logger,level", "app.log"]), "");
    assert_eq!(count, b"logger,level,count\napp.db,ERROR,2\napp.web,INFO,1\n");
    // A file of one's own: names used by the pattern, one of them replacing a shipped one.
    wd.write("my.patterns", "# request times\nTOOK = took %{INT:ms}ms\nLOGLEVEL = ERROR|INFO\n");
    let out = wd.stdout(
        wd.command("ticky-parse").args([
            "--patterns",
            "my.patterns",
            "--pattern",
            "%{LOGLEVEL:level} - .* %{TOOK}",
            "app.log",
        ]),
        "",
    );
    let r = json_lines(&out);
    assert_eq!((&r[1]["level"], &r[1]["ms"]), (&"INFO".into(), &42.into()));
    assert!(r[0].get("raw").is_some());
}

#[test]
fn bad_patterns_are_usage_errors_that_say_why() {
    let wd = Workdir::new("pattern-bad");
    for (args, says) in [
        (vec!["--pattern", "(unclosed"], "--pattern: regex parse error"),
        (vec!["--pattern", "\\d+"], "names no group"),
        (vec!["--pattern", "%{NOPE:x}"], "no pattern named \"NOPE\""),
        (vec!["--pattern", "(?P<line>x)"], "may not be named \"line\""),
        (vec!["--patterns", "p.txt"], "give --pattern too"),
        (vec!["--pattern", "(?P<a>x)", "--format", "combined"], "leave out --format"),
        (vec!["--pattern", "(?P<a>x)", "--patterns", "missing.txt"], "cannot read missing.txt"),
    ] {
        for tool in ["ticky-parse", "ticky-count"] {
            let mut cmd = wd.command(tool);
            cmd.args(&args);
            if tool == "ticky-count" {
                cmd.args(["--by", "a"]);
            }
            let code = if says.starts_with("cannot read") { 1 } else { 2 };
            let err = wd.fails(&mut cmd, "", code);
            assert!(err.contains(says), "{tool} {args:?}: {err}");
        }
    }
}

#[test]
fn a_pattern_that_backtracks_exponentially_elsewhere_finishes_in_linear_time() {
    let wd = Workdir::new("pattern-redos");
    // `(a+)+$` against many a's and a final b: a backtracking engine (PCRE, Oniguruma, grok's)
    // tries 2^n ways; here the run is bounded by the shell's timeout, which would fail the test.
    let line = format!("{}b\n", "a".repeat(100_000));
    wd.write("evil.log", line.repeat(20));
    let out = wd.sh("timeout 60 ticky-count --pattern '^(?P<x>(a+)+)$' --by x evil.log; echo \"status $?\"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("x,count\nstatus 0\n"), "{stdout}");
}

#[test]
fn ticky_store_puts_groups_in_their_columns_and_the_rest_in_extra() {
    let wd = Workdir::new("pattern-store");
    wd.write("app.log", "client 192.0.2.7 got 503 after 1200 ms\nclient 192.0.2.8 got 200 after 35 ms\n");
    let pattern = "client %{IP:ip} got %{INT:status} after %{INT:elapsed} ms";
    let out = wd.output(wd.command("ticky-store").args(["-q", "--pattern", pattern, "app.db", "app.log"]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).args([
        "app.db",
        "SELECT ip, status, typeof(status), json_extract(extra, '$.elapsed') FROM records ORDER BY line",
    ]);
    let rows = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
    assert_eq!(rows, "192.0.2.7|503|integer|1200\n192.0.2.8|200|integer|35\n");
}

#[test]
fn python_logging_is_told_from_its_first_line_in_each_of_its_layouts() {
    let wd = Workdir::new("pattern-python-format");
    // Django's verbose layout, basicConfig's, logging's default and '{levelname} {message}'; a
    // traceback line in between stays raw.
    wd.write(
        "django.log",
        "ERROR 2025-01-31 00:09:39,123 views 1234 140234 Internal Server Error: /tickets/\n\
         Traceback (most recent call last):\n\
         WARNING 2025-01-31 00:09:40,001 views 1234 140234 Not Found: /favicon.ico response_time=3 ms\n",
    );
    wd.write("basic.log", "2025-01-31 00:10:00,500 - app.db - ERROR - Connection lost, took 5003ms\n");
    wd.write("default.log", "WARNING:root:disk almost full\nERROR:app.db:gone\n");
    let out = wd.output(wd.command("ticky-parse").args(["django.log", "basic.log", "default.log"]), "");
    assert!(out.status.success());
    let r = json_lines(&out.stdout);
    assert_eq!(r[0]["time"], "2025-01-31T00:09:39.123");
    assert_eq!((&r[0]["module"], &r[0]["pid"], &r[0]["thread"]), (&"views".into(), &1234.into(), &140234.into()));
    assert_eq!(r[1]["raw"], "Traceback (most recent call last):");
    assert_eq!(r[2]["duration_ms"], 3);
    assert_eq!((&r[3]["logger"], &r[3]["duration_ms"]), (&"app.db".into(), &5003.into()));
    assert_eq!(
        (&r[4]["level"], &r[4]["logger"], &r[4]["message"]),
        (&"WARNING".into(), &"root".into(), &"disk almost full".into())
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for file in ["django.log", "basic.log", "default.log"] {
        assert!(err.contains(&format!("{file}: read as Python logging")), "{err}");
    }
    assert!(err.contains("1 line not in a layout of Python's logging"), "{err}");
    // Counted directly, by level across the three files.
    let counted =
        wd.stdout(wd.command("ticky-count").args(["--by", "level", "django.log", "basic.log", "default.log"]), "");
    assert_eq!(counted, b"level,count\nERROR,3\nWARNING,2\n");
    let durations =
        wd.stdout(wd.command("ticky-count").args(["--by", "duration_ms", "--format", "python", "django.log"]), "");
    assert_eq!(durations, b"duration_ms,count\n3,1\n");
}

#[test]
fn request_times_in_syslog_messages_are_duration_ms() {
    let wd = Workdir::new("pattern-syslog-durations");
    wd.write(
        "app.log",
        "Jan 31 00:09:39 h api[7]: GET /tickets response_time:120ms\n\
         Jan 31 00:09:40 h api[7]: GET /tickets response_time=80.5 ms\n\
         Jan 31 00:09:41 h worker[8]: export took 1500ms\n\
         Jan 31 00:09:42 h worker[8]: sent 12 msgs\n",
    );
    let r = json_lines(&wd.stdout(wd.command("ticky-parse").arg("app.log"), ""));
    let durations: Vec<Option<f64>> = r.iter().map(|r| r.get("duration_ms").and_then(Value::as_f64)).collect();
    assert_eq!(durations, [Some(120.0), Some(80.5), Some(1500.0), None]);
    let counted = wd.stdout(wd.command("ticky-count").args(["--by", "program,duration_ms", "app.log"]), "");
    assert_eq!(counted, b"program,duration_ms,count\napi,120,1\napi,80.5,1\nworker,1500,1\n");
}

#[test]
fn json_logs_map_the_usual_names_and_keep_the_rest() {
    let wd = Workdir::new("pattern-jsonlog");
    wd.write(
        "app.log",
        concat!(
            r#"{"@timestamp":"2025-01-31T00:09:39.5Z","severity":"ERROR","msg":"payment failed, took 812ms","user":"ann","line":7,"ctx":{"order":5},"retry":true,"gone":null}"#,
            "\n",
            r#"{"ts":1700000000123,"level":"INFO","message":"ok \u00e9","logger":"pay"}"#,
            "\n",
            "panic: runtime error\n",
        ),
    );
    let out = wd.output(wd.command("ticky-parse").arg("app.log"), "");
    let r = json_lines(&out.stdout);
    assert_eq!(
        r[0],
        serde_json::json!({"line":1,"time":"2025-01-31T00:09:39.5Z","level":"ERROR","message":"payment failed, took 812ms",
            "user":"ann","source_line":7,"ctx":"{\"order\":5}","retry":true,"duration_ms":812})
    );
    assert_eq!(
        (&r[1]["time"], &r[1]["message"], &r[1]["logger"]),
        (&"2023-11-14T22:13:20.123Z".into(), &"ok é".into(), &"pay".into())
    );
    assert_eq!(r[2]["raw"], "panic: runtime error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("app.log: read as a JSON log") && err.contains("1 line not a JSON object"), "{err}");
    // ticky-count and ticky-store read such a file as records unless told: --format json.
    let counted = wd.stdout(wd.command("ticky-count").args(["--format", "json", "--by", "level,user", "app.log"]), "");
    assert_eq!(counted, b"level,user,count\nERROR,ann,1\n");
    let out = wd.output(wd.command("ticky-store").args(["-q", "--format", "json", "app.db", "app.log"]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).args([
        "app.db",
        "SELECT level, time, duration_ms, json_extract(extra, '$.ctx'), coalesce(raw, '') FROM records ORDER BY line",
    ]);
    let rows = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
    assert_eq!(
        rows,
        "ERROR|2025-01-31T00:09:39.5Z|812.0|{\"order\":5}|\nINFO|2023-11-14T22:13:20.123Z|||\n||||panic: runtime error\n"
    );
}

#[test]
fn generated_python_and_json_logs_count_as_their_truth() {
    let wd = Workdir::new("pattern-app-truth");
    for format in ["python", "json"] {
        let log = wd.stdout(
            wd.command("ticky-gen")
                .args(["--format", format, "--messy", "-n", "20000", "--seed", "4", "--truth", "t.json"]),
            "",
        );
        let file = format!("{format}.log");
        wd.write(&file, &log);
        let truth: Value = serde_json::from_slice(&wd.read("t.json")).unwrap();
        let levels = truth_counts(&truth, "levels");
        let out = wd.output(wd.command("ticky-count").args(["--format", format, "--by", "level", &file]), "");
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(count_table(&out.stdout), levels, "{format}");
        let n = truth["not_understood"].as_u64().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{n} of 20000 lines not fully understood")), "{format}: {err}");
        // Every request time the messages carry, as duration_ms, through ticky-parse (told).
        let records = json_lines(&wd.stdout(wd.command("ticky-parse").arg(&file), ""));
        let mut got: Vec<u64> = records.iter().filter_map(|r| r.get("duration_ms").and_then(Value::as_u64)).collect();
        let mut want: Vec<u64> = truth["durations_ms"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|v| v.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()))
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{format}");
    }
}
