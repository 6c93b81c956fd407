//! ticky-store through its real binary and a real SQLite file read back with the sqlite3 shell:
//! the daily tables by SQL equal the generator's truth and ticky-count's; storing again adds
//! nothing, a grown log adds its new lines, a rotated or compressed copy nothing; a run killed at
//! any moment leaves whole batches that a rerun completes; readers see whole batches only.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin_path, Workdir};
use serde_json::Value;

/// Runs an SQL query with the sqlite3 shell (the program a user would query with) and returns
/// its rows as JSON objects.
fn sql(wd: &Workdir, db: &str, query: &str) -> Vec<serde_json::Map<String, Value>> {
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).arg("-json").arg(db).arg(query);
    let out = wd.stdout(&mut cmd, "");
    if out.iter().all(u8::is_ascii_whitespace) {
        return Vec::new();
    }
    let rows: Vec<Value> = serde_json::from_slice(&out).expect("sqlite3 -json output");
    rows.into_iter().map(|r| r.as_object().unwrap().clone()).collect()
}

fn one(wd: &Workdir, db: &str, query: &str) -> i64 {
    let rows = sql(wd, db, query);
    rows[0].values().next().unwrap().as_i64().unwrap_or_else(|| panic!("{query}: {rows:?}"))
}

fn store(wd: &Workdir, args: &[&str]) -> String {
    let out = wd.output(wd.command("ticky-store").args(args), "");
    assert!(out.status.success(), "ticky-store {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The two daily tables as the man page's queries compute them.
const ERRORS_SQL: &str = "SELECT error, sum(coalesce(repeat, 1)) AS n FROM records \
                          WHERE error IS NOT NULL GROUP BY error ORDER BY n DESC, error";
const USERS_SQL: &str = "SELECT user, sum(CASE level WHEN 'INFO' THEN coalesce(repeat, 1) ELSE 0 END) AS info, \
                         sum(CASE level WHEN 'ERROR' THEN coalesce(repeat, 1) ELSE 0 END) AS error \
                         FROM records WHERE user IS NOT NULL GROUP BY user ORDER BY user";

/// A CSV table that ticky-count wrote, header dropped, read with Python's csv module (a parser
/// that is not ours).
fn csv_rows(wd: &Workdir, csv: &[u8]) -> Vec<Vec<String>> {
    wd.write("table.csv", csv);
    let mut cmd = Command::new("python3");
    cmd.current_dir(&wd.dir)
        .arg("-c")
        .arg("import csv, json, sys; print(json.dumps(list(csv.reader(open('table.csv', newline='')))[1:]))");
    serde_json::from_slice(&wd.stdout(&mut cmd, "")).unwrap()
}

#[test]
fn the_daily_tables_by_sql_equal_the_truth_and_ticky_count() {
    let wd = Workdir::new("store-tables");
    let log = wd
        .stdout(wd.command("ticky-gen").args(["--lines", "20000", "--messy", "--seed", "5", "--truth", "t.json"]), "");
    wd.write("day.log", &log);
    store(&wd, &["day.db", "day.log"]);
    let truth: Value = serde_json::from_slice(&wd.read("t.json")).unwrap();

    assert_eq!(one(&wd, "day.db", "SELECT count(*) FROM records"), truth["lines"].as_i64().unwrap());
    let errors: BTreeMap<String, i64> = sql(&wd, "day.db", ERRORS_SQL)
        .into_iter()
        .map(|r| (r["error"].as_str().unwrap().to_string(), r["n"].as_i64().unwrap()))
        .collect();
    let true_errors: BTreeMap<String, i64> =
        truth["errors"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap())).collect();
    assert_eq!(errors, true_errors);
    let users: BTreeMap<String, (i64, i64)> = sql(&wd, "day.db", USERS_SQL)
        .into_iter()
        .map(|r| (r["user"].as_str().unwrap().to_string(), (r["info"].as_i64().unwrap(), r["error"].as_i64().unwrap())))
        .collect();
    let true_users: BTreeMap<String, (i64, i64)> = truth["users"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), (v[0].as_i64().unwrap(), v[1].as_i64().unwrap())))
        .collect();
    assert_eq!(users, true_users);

    // The same tables, row by row and in order, as ticky-count makes them.
    let counted = wd.stdout(wd.command("ticky-count").args(["--by", "error", "day.log"]), "");
    let by_sql: Vec<Vec<String>> = sql(&wd, "day.db", ERRORS_SQL)
        .into_iter()
        .map(|r| vec![r["error"].as_str().unwrap().to_string(), r["n"].to_string()])
        .collect();
    assert_eq!(by_sql, csv_rows(&wd, &counted));
    let counted = wd.stdout(
        wd.command("ticky-count").args(["--by", "user", "--pivot", "level", "--columns", "INFO,ERROR", "day.log"]),
        "",
    );
    let mut counted = csv_rows(&wd, &counted);
    counted.sort();
    let mut by_sql: Vec<Vec<String>> = sql(&wd, "day.db", USERS_SQL)
        .into_iter()
        .map(|r| vec![r["user"].as_str().unwrap().to_string(), r["info"].to_string(), r["error"].to_string()])
        .collect();
    by_sql.sort();
    assert_eq!(by_sql, counted);
}

#[test]
fn records_from_json_lines_are_the_rows_of_the_raw_log() {
    let wd = Workdir::new("store-jsonl");
    let log = wd.stdout(wd.command("ticky-gen").args(["--lines", "3000", "--messy", "--seed", "9"]), "");
    wd.write("a.log", &log);
    let records = wd.stdout(wd.command("ticky-parse").args(["--year", "2026", "a.log"]), "");
    wd.write("a.jsonl", &records);
    store(&wd, &["--year", "2026", "raw.db", "a.log"]);
    store(&wd, &["json.db", "a.jsonl"]);
    let all = "SELECT * FROM records ORDER BY seq";
    let strip = |rows: Vec<serde_json::Map<String, Value>>| {
        rows.into_iter()
            .map(|mut r| {
                r.remove("id");
                r.remove("source");
                r
            })
            .collect::<Vec<_>>()
    };
    let (raw, json) = (strip(sql(&wd, "raw.db", all)), strip(sql(&wd, "json.db", all)));
    assert_eq!(raw.len(), 3000);
    assert_eq!(raw, json);
    // Typed columns: integers are integers.
    assert_eq!(one(&wd, "raw.db", "SELECT count(*) FROM records WHERE typeof(pid) NOT IN ('integer', 'null')"), 0);
    assert!(one(&wd, "raw.db", "SELECT count(*) FROM records WHERE typeof(ticket) = 'integer'") > 0);
}

#[test]
fn other_keys_of_a_record_go_into_extra_as_json() {
    let wd = Workdir::new("store-extra");
    wd.write(
        "app.jsonl",
        concat!(
            r#"{"time":"2026-11-20T10:00:00+01:00","level":"ERROR","status":503,"duration_ms":12.5,"#,
            r#""msg":"a \"quoted\" word","tags":["a","b"],"user":"\u00e9lise"}"#,
            "\n"
        ),
    );
    store(&wd, &["app.db", "app.jsonl"]);
    let rows = sql(&wd, "app.db", "SELECT status, typeof(status) AS t, duration_ms, user, extra, json_extract(extra, '$.msg') AS msg FROM records");
    assert_eq!(rows[0]["status"], 503);
    assert_eq!(rows[0]["t"], "integer");
    assert_eq!(rows[0]["duration_ms"], 12.5);
    assert_eq!(rows[0]["user"], "élise");
    assert_eq!(rows[0]["msg"], "a \"quoted\" word");
    let extra: Value = serde_json::from_str(rows[0]["extra"].as_str().unwrap()).unwrap();
    assert_eq!(extra["tags"], serde_json::json!(["a", "b"]));
}

#[test]
fn storing_again_adds_nothing_and_a_grown_log_only_its_new_lines() {
    let wd = Workdir::new("store-again");
    let log = wd.stdout(wd.command("ticky-gen").args(["--lines", "5000", "--seed", "3"]), "");
    let cut = log.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(2999).unwrap().0 + 1;
    wd.write("syslog", &log[..cut]);
    let said = store(&wd, &["s.db", "syslog"]);
    assert!(said.contains("3000 records stored (lines 1-3000)"), "{said}");
    let said = store(&wd, &["s.db", "syslog"]);
    assert!(said.contains("nothing new"), "{said}");
    assert_eq!(one(&wd, "s.db", "SELECT count(*) FROM records"), 3000);

    // The log grows, with a last line still being written.
    let half = cut + (log.len() - cut) / 2;
    let half = half - 1 - log[..half].iter().rev().position(|&b| b == b'\n').unwrap() + 20;
    fs::write(wd.path("syslog"), &log[..half]).unwrap();
    store(&wd, &["s.db", "syslog"]);
    let partial = one(&wd, "s.db", "SELECT count(*) FROM records");
    // Then it is finished, rotated (renamed, then compressed) and a new file takes its name.
    fs::write(wd.path("syslog"), &log).unwrap();
    fs::rename(wd.path("syslog"), wd.path("syslog.1")).unwrap();
    wd.write("syslog", "Feb  1 00:00:00 host ticky: INFO Created ticket [#1] (newuser)\n");
    store(&wd, &["s.db", "syslog", "syslog.1"]);
    let gz = wd.sh("gzip -c syslog.1 > syslog.2.gz && rm syslog.1");
    assert!(gz.status.success());
    let said = store(&wd, &["s.db", "syslog.2.gz", "syslog"]);
    assert!(said.contains("syslog.2.gz: nothing new"), "{said}");
    assert!(said.contains("syslog: nothing new"), "{said}");

    assert_eq!(one(&wd, "s.db", "SELECT count(*) FROM records"), 5001, "after {partial} records in the middle");
    assert_eq!(one(&wd, "s.db", "SELECT count(*) FROM (SELECT DISTINCT source, seq FROM records)"), 5001);
    assert_eq!(one(&wd, "s.db", "SELECT count(*) FROM sources"), 2);
    // Every record is its line's: the finished last line replaced the half-written one.
    let lines: Vec<&[u8]> = log.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let records = wd.stdout(&mut wd.command("ticky-parse"), lines.join(&b"\n"[..]));
    let expected = common::json_lines(&records);
    let stored = sql(
        &wd,
        "s.db",
        "SELECT line, message, user FROM records WHERE source = (SELECT min(id) FROM sources) ORDER BY seq",
    );
    assert_eq!(stored.len(), expected.len());
    for (s, e) in stored.iter().zip(&expected) {
        assert_eq!(s["line"], e["line"]);
        assert_eq!(s["message"], *e.get("message").unwrap_or(&Value::Null));
        assert_eq!(s["user"], *e.get("user").unwrap_or(&Value::Null));
    }
}

#[test]
fn a_different_file_with_the_same_first_line_is_a_new_source() {
    let wd = Workdir::new("store-same-head");
    let head = "Jan 31 00:00:01 host cron[1]: (root) CMD (run-parts /etc/cron.hourly)\n";
    wd.write("a.log", format!("{head}Jan 31 00:00:02 host ticky: INFO Created ticket [#2] (ann)\n"));
    wd.write("b.log", format!("{head}Jan 31 00:00:02 host ticky: ERROR Ticket doesn't exist (bob)\n"));
    store(&wd, &["h.db", "a.log"]);
    store(&wd, &["h.db", "b.log"]);
    assert_eq!(one(&wd, "h.db", "SELECT count(*) FROM sources"), 2);
    assert_eq!(one(&wd, "h.db", "SELECT count(*) FROM records WHERE user IN ('ann', 'bob')"), 2);
}

/// A log large enough that a run takes a while, in small batches so that kills land between and
/// inside many of them.
fn killing_log(wd: &Workdir) -> u64 {
    let log = wd.stdout(wd.command("ticky-gen").args(["--lines", "60000", "--seed", "11"]), "");
    wd.write("big.log", &log);
    60_000
}

#[test]
fn a_run_killed_at_any_moment_leaves_whole_batches_and_a_rerun_completes_it() {
    let wd = Workdir::new("store-kill");
    let lines = killing_log(&wd) as i64;
    let mut seed = 0x2545_f491_u64;
    let mut killed_mid_run = 0;
    for round in 0..12 {
        for name in ["k.db", "k.db-wal", "k.db-shm", "k.db-journal"] {
            let _ = fs::remove_file(wd.path(name));
        }
        // Several kills per database, each at a pseudo-random moment of a run.
        for _ in 0..3 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let delay = Duration::from_micros(20_000 + seed % 200_000);
            let mut child = wd
                .command("ticky-store")
                .args(["--batch", "1000", "-q", "k.db", "big.log"])
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            if child.try_wait().unwrap().is_none() {
                killed_mid_run += 1;
            }
            let _ = child.kill();
            let _ = child.wait();
            if !wd.path("k.db").exists() || fs::metadata(wd.path("k.db")).unwrap().len() == 0 {
                continue;
            }
            let check = sql(&wd, "k.db", "PRAGMA integrity_check");
            assert_eq!(check[0]["integrity_check"], "ok", "round {round}");
            // Killed before the schema's transaction committed (its journal rolled back when the
            // database is opened): no table at all, not part of a schema; the next run makes it.
            if one(&wd, "k.db", "SELECT count(*) FROM sqlite_schema WHERE name = 'records'") == 0 {
                assert_eq!(
                    one(&wd, "k.db", "SELECT count(*) FROM sqlite_schema"),
                    0,
                    "round {round}: part of a schema"
                );
                continue;
            }
            let stored = one(&wd, "k.db", "SELECT count(*) FROM records");
            assert_eq!(stored % 1000, 0, "round {round}: {stored} records is not whole batches");
            let position = sql(&wd, "k.db", "SELECT coalesce(sum(last_line), 0) AS n FROM sources");
            assert_eq!(position[0]["n"].as_i64().unwrap(), stored, "round {round}: the position is not the records'");
        }
        store(&wd, &["--batch", "1000", "k.db", "big.log"]);
        assert_eq!(one(&wd, "k.db", "SELECT count(*) FROM records"), lines, "round {round}");
        assert_eq!(one(&wd, "k.db", "SELECT count(DISTINCT seq) FROM records"), lines, "round {round}");
        assert_eq!(one(&wd, "k.db", "SELECT min(seq) FROM records"), 1);
    }
    assert!(killed_mid_run >= 12, "too few kills landed during a run ({killed_mid_run}): the test proves little");
}

#[test]
fn a_reader_during_a_load_sees_whole_batches_only() {
    let wd = Workdir::new("store-reader");
    killing_log(&wd);
    store(&wd, &["r.db", "/dev/null"]);
    let mut child = wd.command("ticky-store").args(["--batch", "1000", "-q", "r.db", "big.log"]).spawn().unwrap();
    let start = Instant::now();
    let mut seen = Vec::new();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(60) {
        // One statement, so one snapshot: the records and the position must agree.
        let rows = sql(
            &wd,
            "r.db",
            "SELECT (SELECT count(*) FROM records) AS n, (SELECT coalesce(sum(last_line), 0) FROM sources) AS p",
        );
        let (n, p) = (rows[0]["n"].as_i64().unwrap(), rows[0]["p"].as_i64().unwrap());
        assert_eq!(n, p, "a reader saw {n} records and a position of {p} lines");
        assert_eq!(n % 1000, 0, "a reader saw part of a batch: {n}");
        seen.push(n);
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(one(&wd, "r.db", "SELECT count(*) FROM records"), 60_000);
    assert!(seen.len() >= 2, "the reader ran {} times during the load", seen.len());
}

#[test]
fn retain_deletes_old_records_and_keeps_new_ones() {
    let wd = Workdir::new("store-retain");
    // One line from ten days ago and one from an hour ago, in local time.
    let stamp = |ago: &str| {
        let out = wd.sh(&format!("date -d '{ago}' '+%Y-%m-%dT%H:%M:%S'"));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (old, new) = (stamp("10 days ago"), stamp("1 hour ago"));
    wd.write(
        "app.log",
        format!(
            "{old} host ticky: INFO Created ticket [#1] (old)\n{new} host ticky: INFO Created ticket [#2] (new)\nno header\n"
        ),
    );
    store(&wd, &["t.db", "app.log"]);
    let said = store(&wd, &["--retain", "7", "t.db"]);
    assert!(said.contains("1 older record deleted"), "{said}");
    let users: Vec<Value> =
        sql(&wd, "t.db", "SELECT user FROM records ORDER BY seq").into_iter().map(|r| r["user"].clone()).collect();
    // The line without a time stays while its file was stored lately.
    assert_eq!(users, vec![Value::from("new"), Value::Null]);
    assert_eq!(sql(&wd, "t.db", "PRAGMA auto_vacuum")[0]["auto_vacuum"], 2);
}

#[test]
fn the_database_is_private_and_other_files_are_refused() {
    let wd = Workdir::new("store-refuse");
    wd.write("a.log", "Jan 31 00:00:01 host ticky: INFO Created ticket [#1] (ann)\n");
    store(&wd, &["p.db", "a.log"]);
    assert_eq!(fs::metadata(wd.path("p.db")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(one(&wd, "p.db", "PRAGMA user_version"), 1);
    assert_eq!(sql(&wd, "p.db", "PRAGMA journal_mode")[0]["journal_mode"], "wal");

    wd.write("text.db", "this is not a database, but a file of text long enough to be read as a header\n".repeat(20));
    let err = wd.fails(wd.command("ticky-store").args(["text.db", "a.log"]), "", 1);
    assert!(err.starts_with("ticky-store: ") && err.contains("not a SQLite database"), "{err}");

    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).arg("other.db").arg("CREATE TABLE t (x); ");
    wd.stdout(&mut cmd, "");
    let err = wd.fails(wd.command("ticky-store").args(["other.db", "a.log"]), "", 1);
    assert!(err.contains("did not make"), "{err}");

    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).arg("p.db").arg("PRAGMA user_version = 7");
    wd.stdout(&mut cmd, "");
    let err = wd.fails(wd.command("ticky-store").args(["p.db", "a.log"]), "", 1);
    assert!(err.contains("newer ticky-store"), "{err}");

    let err = wd.fails(&mut wd.command("ticky-store"), "", 2);
    assert!(err.contains("expected DB"), "{err}");
}

#[test]
fn a_second_run_waits_for_the_first() {
    let wd = Workdir::new("store-lock");
    killing_log(&wd);
    let mut first = wd.command("ticky-store").args(["-q", "l.db", "big.log"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let out = wd.output(wd.command("ticky-store").args(["--wait", "0", "l.db", "/dev/null"]), "");
    let running = first.try_wait().unwrap().is_none();
    assert!(first.wait().unwrap().success());
    if running {
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("another ticky-store"));
    }
    // Both ways, one copy of every line.
    assert_eq!(one(&wd, "l.db", "SELECT count(*) FROM records"), 60_000);
}

#[test]
fn standard_input_is_stored_as_a_new_source_each_time() {
    let wd = Workdir::new("store-stdin");
    let line = b"Jan 31 00:00:01 host ticky: INFO Created ticket [#1] (ann)\n";
    for _ in 0..2 {
        let mut child = Command::new(bin_path("ticky-store"))
            .current_dir(&wd.dir)
            .args(["-q", "in.db"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(line).unwrap();
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(one(&wd, "in.db", "SELECT count(*) FROM records"), 2);
    assert_eq!(one(&wd, "in.db", "SELECT count(*) FROM sources WHERE path = '<stdin>'"), 2);
}

#[test]
fn an_unfinished_last_line_at_a_batch_or_chunk_boundary_is_still_replaced() {
    let wd = Workdir::new("store-pending-boundary");
    // The unfinished line ends a batch (--batch 3), or a chunk of rows (256 lines).
    for (lines, batch) in [(3usize, "3"), (256, "10000"), (512, "256")] {
        let db = format!("p{lines}.db");
        let line = |i: usize| format!("Jan 31 00:00:01 host ticky: INFO Created ticket [#{i}] (u{i})");
        let mut text: String = (1..lines).map(|i| line(i) + "\n").collect();
        text.push_str("Jan 31 00:00:01 host ticky: INFO Created ticket [#0] (half");
        wd.write("grow.log", &text);
        store(&wd, &["--batch", batch, &db, "grow.log"]);
        text.push_str("way)\n");
        text.push_str(&(line(lines + 1) + "\n"));
        wd.write("grow.log", &text);
        store(&wd, &["--batch", batch, &db, "grow.log"]);
        let n = (lines + 1) as i64;
        assert_eq!(one(&wd, &db, "SELECT count(*) FROM records"), n, "{lines} lines, --batch {batch}");
        assert_eq!(one(&wd, &db, "SELECT count(*) FROM records WHERE user = 'halfway'"), 1);
    }
}
