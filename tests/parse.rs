//! ticky-parse through its real binary: files, pipes, and the conventions every tool keeps.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::time::{Duration, UNIX_EPOCH};

use common::{json_lines, repo_root, Workdir};
use serde_json::{json, Value};
use ticky::gen::{self, GenOptions};

fn parse(wd: &Workdir, args: &[&str], stdin: &[u8]) -> Vec<Value> {
    json_lines(&wd.stdout(wd.command("ticky-parse").args(args), stdin))
}

fn one(line: &str) -> Value {
    let wd = Workdir::new("parse-one");
    let records = parse(&wd, &["--year", "2025"], line.as_bytes());
    assert_eq!(records.len(), 1, "{records:?}");
    records.into_iter().next().unwrap()
}

#[test]
fn seed_format_log_gives_one_record_per_line() {
    let wd = Workdir::new("parse-seed");
    let fixture = repo_root().join("tests/fixtures/syslog.log");
    let out = wd.output(wd.command("ticky-parse").arg(&fixture), "");
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert_eq!(records.len(), text.lines().count());
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["line"], i + 1);
    }
    // The last line is cut short: no `)` and no newline. No invented user, and the summary says so.
    let last = records.last().unwrap();
    assert_eq!(last["message"], "INFO Created ticket [#5896] (mcintosh");
    assert!(last.get("user").is_none() && last.get("level").is_none(), "{last}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("ticky-parse: 1 of 107 lines not fully understood"), "{stderr}");
    assert!(stderr.contains("without a final (user), first at line 107"), "{stderr}");
}

#[test]
fn generated_messy_log_matches_its_truth() {
    let wd = Workdir::new("parse-generated");
    let mut log = Vec::new();
    let truth =
        gen::generate(&GenOptions { lines: 200_000, seed: 7, messy: true, format: gen::GenFormat::Syslog }, &mut log)
            .unwrap();
    assert!(!log.ends_with(b"\n"), "the generator leaves the last newline out");
    wd.write("messy.log", &log);
    let out = wd.output(wd.command("ticky-parse").arg("messy.log"), "");
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    assert_eq!(records.len() as u64, truth.lines);

    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut users: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["line"], i + 1);
        if let Some(e) = r.get("error") {
            *errors.entry(e.as_str().unwrap().to_string()).or_default() += 1;
        }
        if let Some(u) = r.get("user") {
            let c = users.entry(u.as_str().unwrap().to_string()).or_default();
            match r["level"].as_str() {
                Some("INFO") => c.0 += 1,
                Some("ERROR") => c.1 += 1,
                other => panic!("user without a level: {other:?} in {r}"),
            }
        }
    }
    assert_eq!(errors, truth.errors);
    assert_eq!(users, truth.users);
    assert!(users.contains_key("<script>alert(1)</script>") && users.contains_key("zoë"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!("ticky-parse: {} of {} lines not fully understood", truth.not_understood, truth.lines);
    assert!(stderr.starts_with(&expected), "{stderr}\nexpected {expected}");

    // The same numbers as a table for scripts, with the ticky events the generator wrote.
    let out = wd.output(wd.command("ticky-parse").args(["--summary-csv", "summary.csv", "messy.log"]), "");
    assert!(out.status.success());
    let events: u64 = truth.users.values().map(|(info, error)| info + error).sum();
    let csv = String::from_utf8(wd.read("summary.csv")).unwrap();
    let (header, row) = csv.trim_end().split_once('\n').unwrap();
    assert_eq!(
        header,
        "lines,not_understood,without_header,ticky_without_level,ticky_without_user,ticky_events,truncated"
    );
    let numbers: Vec<u64> = row.split(',').map(|n| n.parse().unwrap()).collect();
    assert_eq!((numbers[0], numbers[1], numbers[5]), (truth.lines, truth.not_understood, events), "{csv}");
    // No line of the generator's is longer than a mebibyte.
    assert_eq!(numbers[6], 0, "{csv}");
    assert_eq!(numbers[2] + numbers[3] + numbers[4], numbers[1], "{csv}");
}

#[test]
fn rfc3164_line_with_pid() {
    assert_eq!(
        one("Jan  5 07:08:09 mail postfix/smtpd[7274]: connect from unknown[10.0.0.1]"),
        json!({"line": 1, "time": "2025-01-05T07:08:09", "host": "mail", "program": "postfix/smtpd", "pid": 7274,
               "message": "connect from unknown[10.0.0.1]"})
    );
}

#[test]
fn rsyslog_high_precision_line() {
    assert_eq!(
        one("2025-01-31T00:09:39.123456+01:00 ubuntu.local ticky[77]: ERROR Connection to DB failed (ac)"),
        json!({"line": 1, "time": "2025-01-31T00:09:39.123456+01:00", "host": "ubuntu.local", "program": "ticky", "pid": 77,
               "message": "ERROR Connection to DB failed (ac)", "level": "ERROR", "error": "Connection to DB failed", "user": "ac"})
    );
}

#[test]
fn pri_prefix_on_either_header() {
    assert_eq!(one("<13>Jan 31 00:09:39 h sshd: x")["program"], "sshd");
    // 13 = facility 1 (user) * 8 + severity 5 (notice), as syslog(3) numbers them.
    assert_eq!(
        (
            one("<13>Jan 31 00:09:39 h sshd: x")["facility"].as_str(),
            one("<13>Jan 31 00:09:39 h sshd: x")["severity"].as_str()
        ),
        (Some("user"), Some("notice"))
    );
    assert_eq!(
        (
            one("<0>Jan 31 00:09:39 h k: x")["facility"].as_str(),
            one("<191>Jan 31 00:09:39 h k: x")["severity"].as_str()
        ),
        (Some("kern"), Some("debug"))
    );
    assert_eq!(one("<13>2025-01-31T00:09:39Z h sshd: x")["time"], "2025-01-31T00:09:39Z");
}

#[test]
fn rfc5424_line() {
    assert_eq!(
        one("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com ticky 8710 ID47 [origin ip=\"10.0.0.1\"] INFO Closed ticket [#12] (noel)"),
        json!({"line": 1, "time": "2003-10-11T22:14:15.003Z", "host": "mymachine.example.com", "program": "ticky", "pid": 8710,
               "facility": "local4", "severity": "notice",
               "message": "INFO Closed ticket [#12] (noel)", "level": "INFO", "info": "Closed ticket", "ticket": 12, "user": "noel"})
    );
}

#[test]
fn kernel_tag_keeps_inner_spacing() {
    let r = one("Jan 31 00:09:39 box kernel: [  997.390602] usb 1-1: new device");
    assert_eq!(
        (r["program"].as_str(), r["message"].as_str()),
        (Some("kernel"), Some("[  997.390602] usb 1-1: new device"))
    );
}

#[test]
fn user_is_the_final_parenthesised_group() {
    let r = one("Jan 31 00:09:39 h ticky: ERROR Failed to parse (json) body (o'brien)");
    assert_eq!((r["error"].as_str(), r["user"].as_str()), (Some("Failed to parse (json) body"), Some("o'brien")));
    let r = one("Jan 31 00:09:39 h ticky: ERROR Boom (<script>alert(1)</script>)");
    assert_eq!(r["user"], "<script>alert(1)</script>");
}

#[test]
fn ticky_lines_without_level_or_user_count_for_nobody() {
    for line in ["Jan 31 00:09:39 h ticky: Started (v2)", "Jan 31 00:09:39 h ticky: ERROR Connection to DB failed"] {
        let r = one(line);
        assert!(r.get("user").is_none() && r.get("level").is_none() && r.get("error").is_none(), "{r}");
        assert_eq!(r["program"], "ticky");
    }
}

#[test]
fn bad_bytes_crlf_and_nul_are_ordinary_input() {
    let wd = Workdir::new("parse-bytes");
    let records = parse(&wd, &["--year", "2025"], b"Jan 31 00:09:39 h ticky: INFO A (b\xffc)\r\n\x00\x01 junk\r\nlast");
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["user"], "b\u{fffd}c");
    assert_eq!(records[1], json!({"line": 2, "raw": "\u{0}\u{1} junk"}));
    assert_eq!(records[2], json!({"line": 3, "raw": "last"}));
}

#[test]
fn empty_input_gives_no_records_and_no_summary() {
    let wd = Workdir::new("parse-empty");
    let out = wd.output(&mut wd.command("ticky-parse"), "");
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn year_comes_from_the_file_modification_time() {
    let wd = Workdir::new("parse-year");
    let path = wd.write("old.log", "Dec 31 23:59:59 h p: late\nJan  1 00:00:01 h p: early\n");
    // Modified on 2024-01-01 at noon: December belongs to 2023.
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(1_704_110_400))
        .unwrap();
    let records = parse(&wd, &["old.log"], b"");
    assert_eq!(records[0]["time"], "2023-12-31T23:59:59");
    assert_eq!(records[1]["time"], "2024-01-01T00:00:01");
    let records = parse(&wd, &["--year", "1999", "old.log"], b"");
    assert_eq!(records[1]["time"], "1999-01-01T00:00:01");

    // February 29th: a guess finds a leap year; a given year without one leaves no date.
    let leap = b"Feb 29 12:00:00 h p: leap\n";
    assert_eq!(parse(&wd, &["--year", "2024"], leap)[0]["time"], "2024-02-29T12:00:00");
    let out = wd.output(wd.command("ticky-parse").args(["--year", "2025"]), leap);
    assert_eq!(json_lines(&out.stdout), [json!({"line": 1, "raw": "Feb 29 12:00:00 h p: leap"})]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 line without a syslog header"), "{out:?}");
    let guessed = parse(&wd, &[], leap)[0]["time"].as_str().unwrap().to_string();
    let year: i64 = guessed[..4].parse().unwrap();
    assert!(year % 4 == 0 && guessed.ends_with("-02-29T12:00:00"), "{guessed}");
}

#[test]
fn several_files_number_lines_per_file_and_name_it() {
    let wd = Workdir::new("parse-files");
    wd.write("a.log", "Jan 31 00:09:39 h p: one\nJan 31 00:09:40 h p: two\n");
    wd.write("b.log", "junk\n");
    let out = wd.output(wd.command("ticky-parse").args(["a.log", "-", "b.log"]), "from stdin\n");
    let records = json_lines(&out.stdout);
    let keys: Vec<(String, u64)> =
        records.iter().map(|r| (r["file"].as_str().unwrap().to_string(), r["line"].as_u64().unwrap())).collect();
    assert_eq!(keys, [("a.log".into(), 1), ("a.log".into(), 2), ("<stdin>".into(), 1), ("b.log".into(), 1)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 lines without a syslog header (kept as \"raw\"), first at <stdin>:1"), "{stderr}");
}

#[test]
fn strict_turns_the_summary_into_failure() {
    let wd = Workdir::new("parse-strict");
    let stderr = wd.fails(wd.command("ticky-parse").arg("--strict"), "junk\n", 1);
    assert!(stderr.contains("1 of 1 line not fully understood") && stderr.contains("--strict"), "{stderr}");
    wd.stdout(wd.command("ticky-parse").arg("--strict"), "Jan 31 00:09:39 h p: fine\n");
}

#[test]
fn summary_on_request_even_when_all_is_understood() {
    let wd = Workdir::new("parse-summary");
    let out =
        wd.output(wd.command("ticky-parse").arg("--summary"), "Jan 31 00:09:39 h p: fine\nJan 31 00:09:40 h p: too\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "ticky-parse: 0 of 2 lines not fully understood\n");
}

#[test]
fn help_version_and_usage_errors() {
    let wd = Workdir::new("parse-cli");
    let help = String::from_utf8(wd.stdout(wd.command("ticky-parse").arg("--help"), "")).unwrap();
    assert!(help.contains("Usage: ticky-parse") && help.contains("--strict"));
    assert_eq!(wd.stdout(wd.command("ticky-parse").arg("-V"), ""), b"ticky-parse 0.1.0\n");
    let stderr = wd.fails(wd.command("ticky-parse").arg("--bogus"), "", 2);
    assert!(stderr.contains("ticky-parse: invalid option '--bogus'") && stderr.contains("--help"), "{stderr}");
    let stderr = wd.fails(wd.command("ticky-parse").args(["--year", "soon"]), "", 2);
    assert!(stderr.contains("--year"), "{stderr}");
}

#[test]
fn missing_file_directory_and_full_disk_fail_clearly() {
    let wd = Workdir::new("parse-errors");
    let stderr = wd.fails(wd.command("ticky-parse").arg("nope.log"), "", 1);
    assert_eq!(stderr, "ticky-parse: cannot open nope.log: No such file or directory\n");
    let stderr = wd.fails(wd.command("ticky-parse").arg("."), "", 1);
    assert!(stderr.contains(". is a directory") || stderr.contains(".: is a directory"), "{stderr}");
    wd.write("one.log", "Jan 31 00:09:39 h p: x\n");
    let out = wd.sh("ticky-parse one.log > /dev/full");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "ticky-parse: writing output: No space left on device\n");
}

#[test]
fn gzip_logs_are_read_decompressed_every_member_and_dated_by_the_compressed_file() {
    let wd = Workdir::new("parse-gzip");
    let mut log = Vec::new();
    gen::generate(&GenOptions { lines: 30_000, seed: 4, messy: true, format: gen::GenFormat::Syslog }, &mut log)
        .unwrap();
    let (a, b) = log.split_at(log.len() / 2);
    wd.write("whole.log", &log);
    wd.write("a", a);
    wd.write("b", b);
    // Two members, as logrotate's delaycompress and `gzip -c >>` make them, under a name that does
    // not say gzip: the magic bytes do. Both files dated New Year's Day 2026, 01:00 UTC, so a
    // December line belongs to 2025 in both.
    let made =
        wd.sh("gzip -c a > rotated && gzip -c b >> rotated && touch -d '2026-01-01 01:00 UTC' rotated whole.log \
         && printf 'Dec 31 23:59:59 h ticky: ERROR Late (u)\\n' > dec.log && gzip -k dec.log \
         && touch -d '2026-01-01 01:00 UTC' dec.log dec.log.gz");
    assert!(made.status.success(), "{made:?}");
    let plain = wd.stdout(wd.command("ticky-parse").arg("whole.log"), "");
    assert_eq!(wd.stdout(wd.command("ticky-parse").arg("rotated"), ""), plain);
    // Standard input too.
    let from_stdin = wd.stdout(wd.command("ticky-parse").args(["--year", "2026"]), wd.read("rotated"));
    assert_eq!(from_stdin, wd.stdout(wd.command("ticky-parse").args(["--year", "2026", "whole.log"]), ""));
    for threads in ["1", "2"] {
        let count =
            |f: &str| wd.stdout(wd.command("ticky-count").args(["--threads", threads, "--by", "error,time", f]), "");
        assert_eq!(count("rotated"), count("whole.log"));
    }
    let dec = json_lines(&wd.stdout(wd.command("ticky-parse").arg("dec.log.gz"), ""));
    assert_eq!(dec[0]["time"], "2025-12-31T23:59:59");
    // A damaged archive: what was read goes out, then exit 1 with a message.
    let gz = std::fs::read(wd.path("rotated")).unwrap();
    wd.write("cut.gz", &gz[..gz.len() / 3]);
    let out = wd.output(wd.command("ticky-parse").arg("cut.gz"), "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("ticky-parse: reading cut.gz: damaged or truncated gzip data"), "{stderr}");
    assert!(!json_lines(&out.stdout).is_empty());
}

#[test]
fn closed_output_pipe_is_a_quiet_success() {
    let wd = Workdir::new("parse-pipe");
    let mut log = Vec::new();
    gen::generate(&GenOptions { lines: 100_000, seed: 3, messy: false, format: gen::GenFormat::Syslog }, &mut log)
        .unwrap();
    wd.write("big.log", &log);
    let out = wd.sh("ticky-parse big.log | head -1 >/dev/null; echo \"status=${PIPESTATUS[0]}\"");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!((stdout.as_ref(), stderr.as_ref()), ("status=0\n", ""));
}

#[test]
fn each_record_goes_out_while_the_input_waits() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::sync::mpsc;

    // A log still being written, as `tail -F` passes it on: a record must not wait for the next
    // lines, nor for the end of the input.
    let wd = Workdir::new("parse-live");
    let mut child = wd
        .command("ticky-parse")
        .args(["--year", "2025"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, records) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in stdout.lines() {
            tx.send(serde_json::from_str::<Value>(&line.unwrap()).unwrap()).unwrap();
        }
    });
    for (n, user) in [(1, "ann"), (2, "bob")] {
        writeln!(stdin, "Jan 31 00:09:39 h ticky: ERROR Connection to DB failed ({user})").unwrap();
        stdin.flush().unwrap();
        let record = records.recv_timeout(Duration::from_secs(20)).expect("no record while the input waits");
        assert_eq!((record["line"].as_u64(), record["user"].as_str()), (Some(n), Some(user)));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    assert!(records.try_recv().is_err(), "a record after the last line");
}

/// Real logs with a third party's ground truth (loghub's structured CSVs, in ../shared when it is
/// there): host, program, pid and message (loghub strips the message's white space) must agree on
/// every line but those whose tag loghub reads another way (`syslogd 1.4.1: restart.`, no `name:`
/// tag; where parsers legitimately differ).
#[test]
fn real_logs_agree_with_loghub() {
    let dir = repo_root().join("../shared/data/loghub");
    if !dir.exists() {
        eprintln!("skipped: {} is absent (a bare clone)", dir.display());
        return;
    }
    let wd = Workdir::new("parse-loghub");
    for (name, host_column, expected_misses) in [("Linux_2k.log", "Level", 7), ("Mac_2k.log", "User", 0)] {
        let log = dir.join(name);
        let out = wd.output(wd.command("ticky-parse").args(["--year", "2017"]).arg(&log), "");
        assert!(out.status.success());
        let records = json_lines(&out.stdout);
        let truth = std::fs::read(dir.join(format!("{name}_structured.csv"))).unwrap();
        let mut reader = ticky::csvio::CsvReader::new(&truth[..], "truth");
        let mut row = ticky::csvio::Row::default();
        reader.read_row(&mut row).unwrap();
        let header: Vec<String> = row.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let (host, program, pid, content) = (col(host_column), col("Component"), col("PID"), col("Content"));
        let mut misses = Vec::new();
        let mut i = 0;
        while reader.read_row(&mut row).unwrap().is_some() {
            let text = |c: usize| String::from_utf8_lossy(row.get(c)).into_owned();
            let r = &records[i];
            let expected = (text(host), text(program), text(pid).parse::<u64>().ok(), text(content).trim().to_string());
            let got = (
                r["host"].as_str().unwrap_or_default().to_string(),
                r["program"].as_str().unwrap_or_default().to_string(),
                r["pid"].as_u64(),
                r["message"].as_str().unwrap_or_default().trim().to_string(),
            );
            if expected != got {
                misses.push((i + 1, expected, got));
            }
            i += 1;
        }
        assert_eq!(i, records.len(), "{name}");
        assert_eq!(misses.len(), expected_misses, "{name}: {misses:#?}");
        assert!(misses.iter().all(|(_, e, _)| e.1.contains(' ')), "{name}: {misses:#?}");
    }
}

#[test]
fn journal_entries_become_records_like_syslog_lines() {
    let wd = Workdir::new("parse-journal");
    // As `journalctl -o json` writes them: a ticky event, a message of bytes, and a syslog line
    // mixed in (as a file of both would be).
    let log = concat!(
        r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1700000000123456","PRIORITY":"3","SYSLOG_FACILITY":"3","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"ticky","_PID":"812","MESSAGE":"ERROR Connection to DB failed (ac)"}"#,
        "\n",
        r#"{"__CURSOR":"s=2","__REALTIME_TIMESTAMP":"1700000002000000","PRIORITY":"6","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"kernel","MESSAGE":[104,105,255]}"#,
        "\n",
        "Nov 14 22:13:23 web1 ticky: INFO Created ticket [#4] (bo)\n",
    );
    wd.write("journal.json", log);
    let records = json_lines(&wd.stdout(wd.command("ticky-parse").args(["--year", "2023", "journal.json"]), ""));
    assert_eq!(
        records[0],
        json!({"line": 1, "time": "2023-11-14T22:13:20.123456Z", "host": "web1", "program": "ticky", "pid": 812,
               "facility": "daemon", "severity": "err", "message": "ERROR Connection to DB failed (ac)",
               "level": "ERROR", "error": "Connection to DB failed", "user": "ac"})
    );
    assert_eq!((records[1]["message"].as_str(), records[1]["program"].as_str()), (Some("hi\u{fffd}"), Some("kernel")));
    assert_eq!(records[2]["user"], "bo");
    // ticky-count reads the entries as a log (its first byte notwithstanding), as the pipe does.
    let table = ["--by", "user", "--pivot", "level", "--columns", "INFO,ERROR", "--year", "2023"];
    let direct = wd.stdout(wd.command("ticky-count").args(table).arg("journal.json"), "");
    assert_eq!(String::from_utf8(direct).unwrap(), "user,INFO,ERROR\nac,0,1\nbo,1,0\n");
    // `journalctl -o json-seq` (RFC 7464): each entry after a record separator, the same records.
    let seq: String =
        log.lines().map(|l| if l.starts_with('{') { format!("\x1e{l}\n") } else { format!("{l}\n") }).collect();
    wd.write("journal.seq", &seq);
    let from_seq = json_lines(&wd.stdout(wd.command("ticky-parse").args(["--year", "2023", "journal.seq"]), ""));
    assert_eq!(from_seq, records);
    let direct = wd.stdout(wd.command("ticky-count").args(table).arg("journal.seq"), "");
    assert_eq!(String::from_utf8(direct).unwrap(), "user,INFO,ERROR\nac,0,1\nbo,1,0\n");
}

#[test]
fn the_year_is_guessed_on_the_local_clock_of_the_log() {
    let wd = Workdir::new("parse-tz");
    // Written a minute before midnight on New Year's Eve in UTC+14 (09:00 UTC), read there: a line
    // of 20:00 the next evening, local time, is New Year's Day 2026, within the day of slack. On a
    // UTC clock the file's time would be 09:00 and the line 35 hours later: last year.
    wd.write("kiritimati.log", "Jan  1 20:00:00 h ticky: ERROR x (u)\nDec 31 23:59:00 h ticky: ERROR x (u)\n");
    let made = wd.sh("touch -d '2025-12-31 09:59 UTC' kiritimati.log");
    assert!(made.status.success());
    // POSIX TZ strings name the offset west of UTC: `UTC-14` is fourteen hours east.
    for (tz, expected) in [
        ("UTC-14", ["2026-01-01T20:00:00", "2025-12-31T23:59:00"]),
        ("UTC", ["2025-01-01T20:00:00", "2025-12-31T23:59:00"]),
    ] {
        let out = wd.stdout(wd.command("ticky-parse").env("TZ", tz).arg("kiritimati.log"), "");
        let times: Vec<String> = json_lines(&out).iter().map(|r| r["time"].as_str().unwrap().to_string()).collect();
        assert_eq!(times, expected, "TZ={tz}");
        let count = wd.stdout(wd.command("ticky-count").env("TZ", tz).args(["--by", "time", "kiritimati.log"]), "");
        assert!(String::from_utf8(count).unwrap().contains(expected[0]), "TZ={tz}");
    }
}
