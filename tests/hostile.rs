//! Hostile input for every tool: random bytes, a 64 MB line, NUL bytes, no final newline, an empty
//! file, CRLF, invalid UTF-8, a closed pipe, a full disk, a missing file, a directory, broken JSON,
//! ragged and unterminated CSV. Each has its documented outcome, and never a panic (the helper
//! checks every command for one).

mod common;

use common::{json_lines, Workdir};

/// Deterministic noise (xorshift64*).
fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

const TOOLS: [(&str, &[&str]); 4] =
    [("ticky-parse", &[]), ("ticky-count", &["--by", "user"]), ("ticky-sort", &["--by", "a"]), ("ticky-html", &[])];

/// The number of lines in `data` as a line reader sees them: a final line without newline counts.
fn line_count(data: &[u8]) -> usize {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))
}

#[test]
fn random_bytes_parse_into_one_record_per_line() {
    let wd = Workdir::new("hostile-random-parse");
    let data = random_bytes(5 << 20, 42);
    wd.write("noise.bin", &data);
    let out = wd.output(wd.command("ticky-parse").arg("noise.bin"), "");
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), line_count(&data));
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["line"], i + 1);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("of {} lines not fully understood", records.len())), "{stderr}");
    wd.fails(wd.command("ticky-parse").args(["--strict", "noise.bin"]), "", 1);
}

#[test]
fn random_bytes_are_refused_by_the_readers_of_json_and_csv_with_a_line() {
    let wd = Workdir::new("hostile-random-others");
    let data = random_bytes(5 << 20, 7);
    wd.write("noise.bin", &data);
    for (tool, args) in &TOOLS[2..] {
        let stderr = wd.fails(wd.command(tool).args(*args).arg("noise.bin"), "", 1);
        assert!(stderr.starts_with(&format!("{tool}: noise.bin:")), "{tool}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{tool}: {stderr}");
    }
    // ticky-count reads bytes that do not start with `{` as a raw log, on both threads, as
    // ticky-parse would: every line a raw record, none with a user, and the summary says so.
    for threads in ["1", "2"] {
        let out = wd.output(wd.command("ticky-count").args(["--threads", threads, "--by", "user", "noise.bin"]), "");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(out.stdout, b"user,count\n");
        let lines = line_count(&data);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(&format!("ticky-count: {lines} of {lines} lines not fully understood")), "{stderr}");
    }
}

#[test]
fn a_64_mb_line_is_read_whole_by_every_tool_given_max_line() {
    let wd = Workdir::new("hostile-long-line");
    let big = "x".repeat(64 << 20);
    wd.write("long.log", format!("Jan 31 00:09:39 h ticky: ERROR {big} (u)\n"));
    let out = wd.stdout(wd.command("ticky-parse").args(["--max-line", "65M", "long.log"]), "");
    let records = json_lines(&out);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["error"].as_str().map(str::len), Some(64 << 20));
    assert!(records[0].get("truncated").is_none());
    wd.write("long.jsonl", &out);
    let counted = wd.stdout(wd.command("ticky-count").args(["--max-line", "65M", "--by", "user", "long.jsonl"]), "");
    assert_eq!(counted, b"user,count\nu,1\n");
    wd.write("long.csv", format!("a,b\n{big},1\nshort,2\n"));
    let sorted = wd.stdout(wd.command("ticky-sort").args(["--max-line", "11M", "--by", "b:nr", "long.csv"]), "");
    assert!(sorted.starts_with(b"a,b\nshort,2\nxxxx") && sorted.len() == (64 << 20) + 15, "{}", sorted.len());
    let page = wd.stdout(wd.command("ticky-html").args(["--max-line", "11M", "long.csv"]), "");
    assert!(page.len() > 64 << 20);
    // Without it, the row is refused with its line and what to do.
    for tool in ["ticky-sort", "ticky-html"] {
        let mut cmd = wd.command(tool);
        if tool == "ticky-sort" {
            cmd.args(["--by", "b"]);
        }
        let err = wd.fails(cmd.arg("long.csv"), "", 1);
        assert!(err.contains("long.csv:2: a row longer than") && err.contains("--max-line"), "{tool}: {err}");
    }
}

#[test]
fn a_line_longer_than_max_line_is_cut_marked_and_counted() {
    let wd = Workdir::new("hostile-cut");
    let long = 3 << 20;
    let text = "é".repeat(long / 2);
    wd.write(
        "long.log",
        format!("Jan 31 00:09:39 h ticky: ERROR {text} (u)\r\nJan 31 00:09:40 h ticky: INFO Created ticket [#1] (v)\n"),
    );
    let line_length = 31 + text.len() + 4;
    let out = wd.output(wd.command("ticky-parse").arg("long.log"), "");
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["truncated"], true);
    assert_eq!(records[0]["length"], line_length as u64);
    // Cut at 1 MiB, in the middle of a two-byte character: the half is U+FFFD, as invalid UTF-8 is.
    let message = records[0]["message"].as_str().unwrap();
    assert!(message.len() < 1 << 20 && message.len() > (1 << 20) - 40, "{}", message.len());
    assert_eq!(records[1]["user"], "v");
    assert!(records[1].get("truncated").is_none());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 line longer than 1048576 bytes cut") && err.contains("first at line 1"), "{err}");
    let err = wd.fails(wd.command("ticky-parse").args(["--strict", "long.log"]), "", 1);
    assert!(err.contains("--strict"), "{err}");
    let csv = wd.stdout(wd.command("ticky-parse").args(["--summary-csv", "s.csv", "long.log"]), "");
    drop(csv);
    assert!(String::from_utf8(wd.read("s.csv")).unwrap().ends_with(",1\n"));

    // The records of cut lines still go through the card's pipeline, and the raw log counts the same.
    wd.write("long.jsonl", &out.stdout);
    let by_records = wd.stdout(wd.command("ticky-count").args(["--by", "truncated,length", "long.jsonl"]), "");
    let by_raw = wd.stdout(wd.command("ticky-count").args(["--by", "truncated,length", "long.log"]), "");
    assert_eq!(by_records, format!("truncated,length,count\ntrue,{line_length},1\n").as_bytes());
    assert_eq!(by_raw, by_records);
    let sorted = wd.stdout(wd.command("ticky-sort").args(["--by", "line:nr", "long.jsonl"]), "");
    assert_eq!(json_lines(&sorted)[1]["length"], line_length as u64);

    // A record longer than the reader's maximum is refused with what to do.
    let err = wd.fails(wd.command("ticky-count").args(["--max-line", "64", "--by", "user", "long.jsonl"]), "", 1);
    assert!(err.contains("long.jsonl:1:") && err.contains("--max-line"), "{err}");
    let err = wd.fails(wd.command("ticky-parse").args(["--max-line", "12"]), "", 2);
    assert!(err.contains("--max-line"), "{err}");
}

#[test]
fn memory_stays_bounded_on_endless_and_huge_lines() {
    let wd = Workdir::new("hostile-memory");
    // 300 MB without a newline, and 300 MB of NUL bytes gzipped; each tool under 100 MB.
    let limit = 100 << 10;
    for (what, script) in [
        ("ticky-parse, no newline", "head -c 300000000 /dev/zero | ticky-parse"),
        ("ticky-count, no newline", "head -c 300000000 /dev/zero | ticky-count --by raw"),
        ("ticky-parse | ticky-count", "head -c 300000000 /dev/zero | ticky-parse | ticky-count --by length"),
        ("ticky-store, no newline", "head -c 300000000 /dev/zero > zero.log && ticky-store -q z.db zero.log"),
        ("ticky-count, gzip", "head -c 300000000 /dev/zero | gzip -1 > zero.gz && ticky-count --by length zero.gz"),
        // A quote that never closes, then 300 MB: an error, not 300 MB held.
        (
            "ticky-sort, open quote",
            "(printf 'a,b\\nx,\"'; head -c 300000000 /dev/zero | tr '\\0' 'y') | ticky-sort --by a; test $? = 1",
        ),
        (
            "ticky-html, open quote",
            "(printf 'a,b\\nx,\"'; head -c 300000000 /dev/zero | tr '\\0' 'y') | ticky-html; test $? = 1",
        ),
        (
            "ticky-count --merge, open quote",
            "(printf 'a,count\\nx,\"'; head -c 300000000 /dev/zero | tr '\\0' 'y') | ticky-count --merge; test $? = 1",
        ),
    ] {
        let kib = common::peak_kib(&wd, script);
        assert!(kib < limit, "{what}: {kib} KiB");
    }
    let _ = std::fs::remove_file(wd.path("zero.log"));
}

#[test]
fn twelve_million_distinct_users_count_exactly_in_bounded_memory() {
    let wd = Workdir::new("hostile-keys");
    // What any local user can write with logger: 12 million users, every 1000th of them three times.
    // The table as it must be: those with 3 first, then the others, each group by name.
    let generate = r#"
import sys
n = 12_000_000
with open("keys.log", "w") as log:
    for start in range(0, n, 100_000):
        log.write("".join(f"Jan 31 00:00:00 h ticky: INFO Created ticket [#1] (u{i:08d})\n"
                          for i in range(start, start + 100_000)))
    for i in range(0, n, 1000):
        log.write(f"Jan 31 00:00:01 h ticky: ERROR Ticket doesn't exist (u{i:08d})\n" * 2)
with open("want.csv", "w") as want:
    want.write("user,count\n")
    want.write("".join(f"u{i:08d},3\n" for i in range(0, n, 1000)))
    for start in range(0, n, 100_000):
        want.write("".join(f"u{i:08d},1\n" for i in range(start, start + 100_000) if i % 1000))
"#;
    let out = wd.output(std::process::Command::new("python3").current_dir(&wd.dir).args(["-c", generate]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without a budget this took 2.4 GB; the default --memory is 64 MB.
    let limit = 100 << 10;
    for (what, script) in [
        ("a file, on every core", "ticky-count --by user keys.log | cmp - want.csv"),
        ("standard input, one thread", "ticky-count --by user < keys.log | cmp - want.csv"),
    ] {
        let kib = common::peak_kib(&wd, script);
        assert!(kib < limit, "{what}: {kib} KiB");
    }
    for file in ["keys.log", "want.csv"] {
        let _ = std::fs::remove_file(wd.path(file));
    }
}

#[test]
fn nul_crlf_invalid_utf8_and_no_final_newline() {
    let wd = Workdir::new("hostile-bytes");
    let log = b"Jan 31 00:09:39 h ticky: ERROR Bad\x00thing (u\xff)\r\nJan 31 00:09:40 h ticky: INFO Ok (v)";
    let records = json_lines(&wd.stdout(&mut wd.command("ticky-parse"), log));
    assert_eq!(records.len(), 2);
    assert_eq!((records[0]["error"].as_str(), records[0]["user"].as_str()), (Some("Bad\u{0}thing"), Some("u\u{fffd}")));
    assert_eq!(records[1]["user"], "v");

    let jsonl = b"{\"user\":\"a\"}\r\n{\"user\":\"a\\u0000b\"}\n{\"user\":\"a\"}";
    let counted = wd.stdout(wd.command("ticky-count").args(["--by", "user"]), jsonl);
    assert_eq!(counted, b"user,count\na,2\na\x00b,1\n");
    let stderr =
        wd.fails(wd.command("ticky-count").args(["--by", "user"]), b"{\"user\":\"a\"}\n{\"user\":\"\xff\"}\n", 1);
    assert_eq!(stderr, "ticky-count: <stdin>:2: invalid JSON record: invalid UTF-8 in a string (column 12)\n");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "user"]), b"{\"user\":\"a\x00\"}\n", 1);
    assert!(stderr.contains("<stdin>:1: invalid JSON record: control character in a string"), "{stderr}");

    let csv = b"a,b\r\nz\x00,1\r\n\xff,2";
    let sorted = wd.stdout(wd.command("ticky-sort").args(["--by", "a"]), csv);
    assert_eq!(sorted, b"a,b\nz\x00,1\n\xff,2\n");
    let page = String::from_utf8(wd.stdout(&mut wd.command("ticky-html"), csv)).unwrap();
    assert!(page.contains("<td>\u{fffd}</td>") && page.contains("<td>z\u{0}</td>"), "{page}");
}

#[test]
fn a_byte_order_mark_at_the_start_of_each_input_is_skipped() {
    let wd = Workdir::new("hostile-bom");
    let bom = "\u{feff}";
    let log = format!("{bom}Jan 31 00:09:39 h ticky: ERROR Boom (ac)\n");
    let records = json_lines(&wd.stdout(wd.command("ticky-parse").args(["--strict"]), &log));
    assert_eq!((records[0]["host"].as_str(), records[0]["user"].as_str()), (Some("h"), Some("ac")));
    // Elsewhere in a line it is text, as logged.
    let inner = json_lines(&wd.stdout(&mut wd.command("ticky-parse"), format!("{log}{log}")));
    assert_eq!(inner[1]["raw"].as_str(), Some(&log[..log.len() - 1]));

    let jsonl = format!("{bom}{{\"user\":\"b\"}}\n{{\"user\":\"a\"}}\n");
    let counted = wd.stdout(wd.command("ticky-count").args(["--by", "user"]), &jsonl);
    assert_eq!(counted, b"user,count\na,1\nb,1\n");
    let sorted = wd.stdout(wd.command("ticky-sort").args(["--by", "user"]), &jsonl);
    assert_eq!(sorted, b"{\"user\":\"a\"}\n{\"user\":\"b\"}\n");

    // A spreadsheet's "CSV UTF-8": the first column keeps its name, and files with and without the
    // mark share their header.
    wd.write("excel.csv", format!("{bom}Username,INFO\r\nb,1\r\n"));
    wd.write("plain.csv", "Username,INFO\na,2\n");
    let sorted = wd.stdout(wd.command("ticky-sort").args(["--by", "Username", "excel.csv", "plain.csv"]), "");
    assert_eq!(sorted, b"Username,INFO\na,2\nb,1\n");
    let merged = wd.stdout(wd.command("ticky-count").args(["--merge", "--keys", "1", "excel.csv", "plain.csv"]), "");
    assert_eq!(merged, b"Username,INFO\na,2\nb,1\n");
    let page = String::from_utf8(wd.stdout(wd.command("ticky-html").arg("excel.csv"), "")).unwrap();
    assert!(page.contains(">Username</th>") && !page.contains(bom), "{page}");
}

#[test]
fn empty_input() {
    let wd = Workdir::new("hostile-empty");
    wd.write("empty", "");
    assert_eq!(wd.stdout(wd.command("ticky-parse").arg("empty"), ""), b"");
    assert_eq!(wd.stdout(wd.command("ticky-count").args(["--by", "user", "empty"]), ""), b"user,count\n");
    assert_eq!(wd.stdout(wd.command("ticky-count").args(["--merge", "empty"]), ""), b"");
    assert_eq!(wd.stdout(wd.command("ticky-sort").args(["--by", "a", "empty"]), ""), b"");
    let stderr = wd.fails(wd.command("ticky-html").arg("empty"), "", 1);
    assert_eq!(stderr, "ticky-html: empty: no CSV header: the input is empty\n");
}

#[test]
fn broken_json_and_bad_csv_name_file_and_line() {
    let wd = Workdir::new("hostile-broken");
    wd.write("bad.jsonl", "{\"user\":\"a\"}\n\n{\"user\":\"b\",}\n");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "user", "bad.jsonl"]), "", 1);
    assert_eq!(stderr, "ticky-count: bad.jsonl:3: invalid JSON record: expected a string (column 13)\n");
    wd.write("bad.jsonl", "{\"user\":\"a\"}\n{\"user\":\"b\"\n");
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "user", "bad.jsonl"]), "", 1);
    assert!(stderr.starts_with("ticky-sort: bad.jsonl:2: invalid JSON record"), "{stderr}");

    wd.write("ragged.csv", "a,b\n1,2\n3,4,5\n");
    wd.write("open.csv", "a,b\n1,2\n\"3,4\n5,6\n");
    for (tool, args) in
        [("ticky-sort", &["--by", "a"][..]), ("ticky-html", &[]), ("ticky-count", &["--merge", "--keys", "1"])]
    {
        let stderr = wd.fails(wd.command(tool).args(args).arg("ragged.csv"), "", 1);
        assert!(
            stderr.starts_with(&format!("{tool}: ragged.csv:3: row has 3 fields but the header has 2")),
            "{stderr}"
        );
        let stderr = wd.fails(wd.command(tool).args(args).arg("open.csv"), "", 1);
        assert!(stderr.starts_with(&format!("{tool}: open.csv:3: unterminated quoted field")), "{stderr}");
    }
}

#[test]
fn missing_files_and_directories() {
    let wd = Workdir::new("hostile-files");
    std::fs::create_dir(wd.path("dir")).unwrap();
    for (tool, args) in TOOLS {
        let stderr = wd.fails(wd.command(tool).args(args).arg("missing.txt"), "", 1);
        assert_eq!(stderr, format!("{tool}: cannot open missing.txt: No such file or directory\n"));
        let stderr = wd.fails(wd.command(tool).args(args).arg("dir"), "", 1);
        assert_eq!(stderr, format!("{tool}: dir: is a directory, not a file\n"));
    }
}

#[test]
fn full_disk_fails_and_closed_pipe_is_quiet() {
    let wd = Workdir::new("hostile-output");
    let mut log = Vec::new();
    ticky::gen::generate(
        &ticky::gen::GenOptions { lines: 50_000, seed: 9, messy: false, format: ticky::gen::GenFormat::Syslog },
        &mut log,
    )
    .unwrap();
    wd.write("g.log", &log);
    let setup = wd.sh("ticky-parse g.log > g.jsonl 2>/dev/null && ticky-count --by user g.jsonl > users.csv && \
                      for i in $(seq 2000); do echo \"u$i,$i\"; done >> users.csv");
    assert!(setup.status.success());
    let inputs = [
        ("ticky-parse", "g.log"),
        ("ticky-count --by user", "g.jsonl"),
        ("ticky-sort --by user", "users.csv"),
        ("ticky-html", "users.csv"),
    ];
    for (tool, input) in inputs {
        let name = tool.split(' ').next().unwrap();
        let out = wd.sh(&format!("{tool} {input} > /dev/full"));
        assert_eq!(out.status.code(), Some(1), "{tool}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), format!("{name}: writing output: No space left on device\n"));
        let out = wd.sh(&format!("{tool} {input} | head -c 10 > /dev/null; echo \"status=${{PIPESTATUS[0]}}\""));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "status=0\n", "{tool}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{tool}");
    }
}

#[test]
fn a_table_larger_than_html_keeps_in_memory_goes_through_a_temporary_file() {
    let wd = Workdir::new("hostile-html-big");
    std::fs::create_dir(wd.path("tmp")).unwrap();
    // About 13 MB of rows, more than the 8 MB kept in memory; the largest count comes last, after
    // the rows written to the temporary file, and sets every bar.
    let rows = 800_000;
    let mut csv = String::from("Username,Count\n");
    for i in 0..rows {
        let n = if i == rows - 1 { 4000 } else { i % 1000 };
        csv.push_str(&format!("user{i:07},{n}\n"));
    }
    wd.write("big.csv", &csv);
    let page = String::from_utf8(
        wd.stdout(wd.command("ticky-html").env("TMPDIR", wd.path("tmp")).args(["--max-rows", "0", "big.csv"]), ""),
    )
    .unwrap();
    let cells: Vec<&str> = page.split("<tr><td>").skip(1).collect();
    assert_eq!(cells.len(), rows);
    for (i, cell) in [0, 999, rows / 2 + 1, rows - 1].map(|i| (i, cells[i])) {
        let n = if i == rows - 1 { 4000 } else { i % 1000 };
        let share = format!("{:.1}%", n as f64 / 4000.0 * 100.0);
        let n = common::with_commas(n as u64);
        let expected = format!("user{i:07}</td><td class=\"num bar\"><i style=\"width:{share}\"></i><span>{n}</span>");
        assert!(cell.starts_with(&expected), "row {i}: {cell:?}");
    }
    assert_eq!(std::fs::read_dir(wd.path("tmp")).unwrap().count(), 0, "a temporary file left behind");
    // Without a place for the temporary file, a clear message.
    let stderr = wd.fails(wd.command("ticky-html").env("TMPDIR", wd.path("missing")).arg("big.csv"), "", 1);
    let dir = wd.path("missing").display().to_string();
    assert_eq!(
        stderr,
        format!(
            "ticky-html: writing a temporary file in {dir} (set TMPDIR to a directory with room): No such file or \
             directory\n"
        )
    );
}

#[test]
fn closed_or_full_standard_streams_give_a_status_not_a_panic() {
    let wd = Workdir::new("hostile-streams");
    wd.write("one.log", "Jan 31 00:09:39 h ticky: ERROR Boom (ac)\n");
    wd.write("t.csv", "a,count\nx,1\n");
    for (tool, args) in [
        ("ticky-parse", "one.log"),
        ("ticky-count", "--by error one.log"),
        ("ticky-sort", "--by a t.csv"),
        ("ticky-html", "t.csv"),
    ] {
        // Standard output closed: an error that says so, not a silent success.
        let out = wd.sh(&format!("{tool} {args} >&-"));
        assert_eq!(out.status.code(), Some(1), "{tool}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is closed"), "{tool}: {out:?}");
        // Sent to /dev/null on purpose: fine.
        assert_eq!(wd.sh(&format!("{tool} {args} >/dev/null")).status.code(), Some(0), "{tool}");
        // Standard error full or closed: the failure's status, never a panic's 101.
        for stderr in ["2>/dev/full", "2>&-"] {
            let out = wd.sh(&format!("{tool} {args} missing.file >/dev/null {stderr}"));
            assert_eq!(out.status.code(), Some(1), "{tool} {stderr}: {out:?}");
        }
    }
}

#[test]
fn a_year_before_1970_is_a_usage_error() {
    let wd = Workdir::new("hostile-year");
    for tool in ["ticky-parse", "ticky-count"] {
        let stderr = wd.fails(wd.command(tool).args(["--year", "25", "--by", "user"]), "", 2);
        assert!(stderr.contains("--year: expected a year from 1970 on"), "{tool}: {stderr}");
    }
}

#[test]
fn a_terminal_on_standard_input_gets_a_word_that_input_is_expected() {
    let wd = Workdir::new("hostile-terminal");
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: script(1) is needed to give a tool a terminal");
        return;
    }
    for tool in ["ticky-parse", "ticky-html"] {
        // script(1) gives the tool a pseudo-terminal, whose input ends at once.
        let out = wd.sh(&format!("echo | timeout 10 script -qec {tool} /dev/null"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("{tool}: reading")) && text.contains("from the terminal"), "{tool}: {out:?}");
    }
    // A pipe gets no such word.
    let out = wd.sh("echo 'a,count' | ticky-html");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("terminal"), "{out:?}");
}

#[test]
fn bidirectional_controls_in_a_name_are_shown_on_the_page_not_obeyed() {
    let wd = Workdir::new("hostile-bidi");
    // A user name that would read as "admexe.png".
    wd.write("users.csv", "Username,count\n\"adm\u{202e}gnp.exe\",3\n");
    let page = String::from_utf8(wd.stdout(wd.command("ticky-html").arg("users.csv"), "")).unwrap();
    assert!(page.contains("<td>adm[U+202E]gnp.exe</td>"), "{page}");
    assert!(!page.contains('\u{202e}'));
    assert!(page.contains("unicode-bidi: isolate"));
}

#[test]
fn messages_that_quote_input_escape_control_characters_and_stay_short() {
    let wd = Workdir::new("hostile-quoted");
    // A header with a terminal escape code, and a million columns.
    let mut header = String::from("\u{1b}[2J\u{1b}[31mred");
    for i in 0..1_000_000 {
        header.push_str(&format!(",c{i}"));
    }
    wd.write("wide.csv", format!("{header}\n"));
    // (Eight megabytes of header: refused as too long a row unless --max-line allows it.)
    let err = wd.fails(wd.command("ticky-sort").args(["--by", "nope", "wide.csv"]), "", 1);
    assert!(err.contains("wide.csv:1: a row longer than"), "{err}");
    let err = wd.fails(wd.command("ticky-sort").args(["--max-line", "2M", "--by", "nope", "wide.csv"]), "", 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("\\u{1b}[2J") && err.contains("and 999981 more"), "{err}");
    assert!(err.len() < 2000, "{} bytes", err.len());
    // A table given where records are read: the header is shown the same way.
    wd.write("table.csv", "\u{1b}]0;title\u{7},count\na,1\n");
    let err = wd.fails(wd.command("ticky-count").args(["--by", "user", "table.csv"]), "", 1);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}') && err.contains("--merge"), "{err:?}");
}

#[test]
fn cr_only_line_endings_split_like_newlines() {
    let wd = Workdir::new("hostile-cr-only");
    let log = wd.stdout(wd.command("ticky-gen").args(["--lines", "50000", "--seed", "4"]), "");
    let cr: Vec<u8> = log.iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect();
    wd.write("lf.log", &log);
    wd.write("cr.log", &cr);
    let records = wd.stdout(wd.command("ticky-parse").arg("cr.log"), "");
    assert_eq!(json_lines(&records).len(), 50_000);
    assert_eq!(records, wd.stdout(wd.command("ticky-parse").arg("lf.log"), ""));
    for args in [["--by", "error"], ["--by", "user"]] {
        let by_cr = wd.stdout(wd.command("ticky-count").args(args).arg("cr.log"), "");
        let by_lf = wd.stdout(wd.command("ticky-count").args(args).arg("lf.log"), "");
        assert_eq!(by_cr, by_lf, "{args:?}");
    }
    // A short one, without a final CR, through a pipe.
    let short = wd.stdout(&mut wd.command("ticky-parse"), "a\rb\rc");
    assert_eq!(json_lines(&short).len(), 3);
}

#[test]
fn input_for_another_tool_is_named_with_what_to_do() {
    let wd = Workdir::new("hostile-wrong-tool");
    let log = "Jan 31 00:09:39 ubuntu.local ticky: INFO Created ticket [#4217] (mdouglas)\n";
    wd.write("syslog.log", log);
    let records = wd.stdout(wd.command("ticky-parse").arg("syslog.log"), "");
    wd.write("records.jsonl", &records);
    for (tool, args, file, says) in [
        ("ticky-html", &[][..], "syslog.log", "ticky-count --by"),
        ("ticky-html", &[][..], "records.jsonl", "ticky-count --by"),
        ("ticky-count", &["--merge"][..], "records.jsonl", "leave out --merge"),
        ("ticky-count", &["--merge"][..], "syslog.log", "leave out --merge"),
        ("ticky-sort", &["--by", "user"][..], "syslog.log", "ticky-parse"),
    ] {
        let err = wd.fails(wd.command(tool).args(args).arg(file), "", 1);
        assert!(err.contains(&format!("{file}:1: this is a")) && err.contains(says), "{tool} {file}: {err}");
    }
    // A table that ticky-count wrote, given where a log or records are read.
    let table = wd.stdout(wd.command("ticky-count").args(["--by", "user", "syslog.log"]), "");
    wd.write("users.csv", &table);
    let err = wd.fails(wd.command("ticky-count").args(["--by", "user", "users.csv"]), "", 1);
    assert!(err.contains("--merge"), "{err}");
}

#[test]
fn numbers_sorted_as_text_get_a_warning_that_names_the_modifier() {
    let wd = Workdir::new("hostile-numbers-as-text");
    wd.write("t.csv", "a,Count\nx,9\ny,100\nz,10\n");
    let out = wd.output(wd.command("ticky-sort").args(["--by", "Count:r", "t.csv"]), "");
    assert!(out.status.success());
    // The order asked for, text, is kept; the warning says how to get numbers.
    assert_eq!(out.stdout, b"a,Count\nx,9\ny,100\nz,10\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--by Count:nr sorts them as numbers"), "{err}");
    // Numbers of one length sort the same either way, and :n asks for numbers: no warning.
    for args in [["--by", "Count:n"], ["--by", "a"]] {
        let out = wd.output(wd.command("ticky-sort").args(args).arg("t.csv"), "");
        assert!(out.status.success() && out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_long_run_on_a_terminal_shows_progress_and_clears_it() {
    let wd = Workdir::new("hostile-progress");
    let log = wd.stdout(wd.command("ticky-gen").args(["--lines", "20000", "--seed", "2"]), "");
    wd.write("a.log", &log);
    // A run of more than a second, standard error on a terminal (script(1) gives it a real one).
    let run = "(cat a.log; sleep 2; cat a.log) | ticky-count --by error > table.csv";
    let mut cmd = std::process::Command::new("script");
    cmd.current_dir(&wd.dir).env("PATH", common::path_with_bins()).args(["-qec", run, "/dev/null"]);
    let screen = String::from_utf8_lossy(&wd.stdout(&mut cmd, "")).into_owned();
    assert!(screen.contains("\rticky-count: ") && screen.contains("B/s\u{1b}[K"), "{screen:?}");
    assert!(screen.ends_with("\r\u{1b}[K"), "the last progress line is cleared: {screen:?}");
    // The table is the same as without a terminal, and without a terminal nothing is shown.
    let plain = wd.sh(run);
    assert!(plain.status.success() && plain.stderr.is_empty(), "{}", String::from_utf8_lossy(&plain.stderr));
    let counted = wd.stdout(wd.command("ticky-count").args(["--by", "error", "a.log"]), "");
    let table = String::from_utf8(wd.read("table.csv")).unwrap();
    let doubled: Vec<String> = String::from_utf8(counted)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (k, n) = l.rsplit_once(',').unwrap();
            format!("{k},{}", n.parse::<u64>().unwrap() * 2)
        })
        .collect();
    assert_eq!(table.lines().skip(1).collect::<Vec<_>>(), doubled);
}
