//! ticky-count and ticky-sort through their real binaries: the seed's two reports, exactly; counts
//! that merge; sorting as promised; bad input refused with the file and line.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{json_lines, repo_root, Workdir};
use proptest::prelude::*;
use ticky::count::{self, CountOptions, Pivot};
use ticky::gen::{self, GenOptions};

const SEED_ERRORS: &str = "\
Error,Count
Timeout while retrieving information,15
Connection to DB failed,13
Tried to add information to closed ticket,12
Permission denied while closing ticket,10
The ticket was modified while updating,9
Ticket doesn't exist,7
";

const SEED_USERS: &str = "\
Username,INFO,ERROR
ac,2,2
ahmed.miller,2,4
blossom,2,6
bpacheco,0,2
breee,1,5
britanni,1,1
enim.non,2,3
flavia,0,5
jackowens,2,4
kirknixon,2,1
mai.hendrix,0,3
mcintosh,4,3
mdouglas,2,3
montanap,0,4
noel,6,3
nonummy,2,3
oren,2,7
rr.robinson,2,1
sri,2,2
xlg,0,4
";

fn sh_ok(wd: &Workdir, script: &str) -> String {
    let out = wd.sh(script);
    assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The write end of a pipe whose reader has already gone: a process that has exited.
fn closed_pipe() -> std::process::Stdio {
    let mut reader = std::process::Command::new("true").stdin(std::process::Stdio::piped()).spawn().unwrap();
    let writer = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    writer.into()
}

fn fixture() -> String {
    repo_root().join("tests/fixtures/syslog.log").display().to_string()
}

#[test]
fn seed_error_ranking_exactly() {
    let wd = Workdir::new("count-seed-errors");
    let got = sh_ok(&wd, &format!("ticky-parse {} | ticky-count --by error --header Error,Count", fixture()));
    assert_eq!(got, SEED_ERRORS);
    // The design card's own line gives the same rows under the default header.
    let got = sh_ok(&wd, &format!("ticky-parse < {} | ticky-count --by error", fixture()));
    assert_eq!(got, SEED_ERRORS.replacen("Error,Count", "error,count", 1));
}

#[test]
fn seed_user_table_exactly() {
    let wd = Workdir::new("count-seed-users");
    let got = sh_ok(
        &wd,
        &format!(
            "ticky-parse {} | ticky-count --by user --pivot level --columns INFO,ERROR --header Username,INFO,ERROR | ticky-sort --by Username",
            fixture()
        ),
    );
    assert_eq!(got, SEED_USERS);
}

#[test]
fn several_tables_in_one_pass_equal_separate_counts() {
    let wd = Workdir::new("count-and");
    // One pass makes both seed tables: one to a file, the other to standard output.
    let got = sh_ok(
        &wd,
        &format!(
            "ticky-parse {} | ticky-count --by error --header Error,Count -o errors.csv \
               --and --by user --pivot level --columns INFO,ERROR --header Username,INFO,ERROR | ticky-sort --by Username",
            fixture()
        ),
    );
    assert_eq!(got, SEED_USERS);
    assert_eq!(String::from_utf8(wd.read("errors.csv")).unwrap(), SEED_ERRORS);
    // Each table keeps its own conditions, and two tables may share a field.
    wd.write("r.jsonl", "{\"user\":\"a\",\"level\":\"INFO\"}\n{\"user\":\"b\",\"level\":\"ERROR\"}\n{\"user\":\"a\",\"level\":\"ERROR\"}\n");
    let got = wd.stdout(
        wd.command("ticky-count").args([
            "--by",
            "user",
            "--where",
            "level=ERROR",
            "-o",
            "errors-by-user.csv",
            "--and",
            "--by",
            "level,user",
            "r.jsonl",
        ]),
        "",
    );
    assert_eq!(String::from_utf8(got).unwrap(), "level,user,count\nERROR,a,1\nERROR,b,1\nINFO,a,1\n");
    assert_eq!(String::from_utf8(wd.read("errors-by-user.csv")).unwrap(), "user,count\na,1\nb,1\n");
    // The table on standard output comes first here, and its reader has gone: the run ends
    // quietly, and the file is still written.
    let out = wd
        .command("ticky-count")
        .args(["--by", "user", "--and", "--by", "level", "-o", "levels.csv", "r.jsonl"])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(wd.read("levels.csv")).unwrap(), "level,count\nERROR,2\nINFO,1\n");
    // --output also works for one table, and for --merge.
    wd.stdout(wd.command("ticky-count").args(["--by", "user", "--output", "one.csv", "r.jsonl"]), "");
    assert_eq!(String::from_utf8(wd.read("one.csv")).unwrap(), "user,count\na,2\nb,1\n");
    let got = wd.stdout(wd.command("ticky-count").args(["--merge", "-o", "sum.csv", "one.csv", "one.csv"]), "");
    assert!(got.is_empty());
    assert_eq!(String::from_utf8(wd.read("sum.csv")).unwrap(), "user,count\na,4\nb,2\n");
}

#[test]
fn several_tables_refuse_what_cannot_work() {
    let wd = Workdir::new("count-and-bad");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "a", "--and", "--by", "b"]), "", 2);
    assert!(stderr.contains("only one table can go to standard output"), "{stderr}");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "a", "-o", "-", "--and", "--by", "b"]), "", 2);
    assert!(stderr.contains("only one table can go to standard output"), "{stderr}");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "a", "-o", "x.csv", "--and"]), "", 2);
    assert!(stderr.contains("--by FIELD is required for each table"), "{stderr}");
    let stderr = wd.fails(wd.command("ticky-count").args(["--merge", "-o", "x.csv", "--and", "--by", "a"]), "", 2);
    assert!(stderr.contains("does not combine with --and"), "{stderr}");
    // An output that cannot be created fails before any input is read.
    let stderr =
        wd.fails(wd.command("ticky-count").args(["--by", "a", "-o", "no/such/dir.csv", "missing.jsonl"]), "", 1);
    assert!(stderr.starts_with("ticky-count: --output: creating no/such/dir.csv: No such file"), "{stderr}");
    assert!(!wd.path("x.csv").exists());
    // A full disk under a table's own file is an error that names the file.
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "a", "-o", "/dev/full"]), "{\"a\":1}\n", 1);
    assert_eq!(stderr, "ticky-count: writing /dev/full: No space left on device\n");
}

#[test]
fn sort_by_count_then_name_keeps_ties_in_order() {
    let wd = Workdir::new("sort-count");
    wd.write("c.csv", "Error,Count\nb,2\na,2\nc,10\nd,1\n");
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "Count:nr", "--by", "Error", "c.csv"]), "");
    assert_eq!(String::from_utf8(got).unwrap(), "Error,Count\nc,10\na,2\nb,2\nd,1\n");
    // Numeric ascending and stable: the two 2s keep their input order (b before a).
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "Count:n", "c.csv"]), "");
    assert_eq!(String::from_utf8(got).unwrap(), "Error,Count\nd,1\nb,2\na,2\nc,10\n");
    // Text order is byte order: "10" before "2".
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "Count,Error:r"]), "Error,Count\nb,2\na,2\nc,10\n");
    assert_eq!(String::from_utf8(got).unwrap(), "Error,Count\nc,10\nb,2\na,2\n");
}

#[test]
fn sort_json_lines_by_field() {
    let wd = Workdir::new("sort-json");
    let input = "{\"user\":\"b\",\"n\":2}\n{\"user\":\"a\",\"n\":10}\n{\"n\":1}\n";
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "n:nr"]), input);
    assert_eq!(String::from_utf8(got).unwrap(), "{\"user\":\"a\",\"n\":10}\n{\"user\":\"b\",\"n\":2}\n{\"n\":1}\n");
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "user"]), input);
    assert_eq!(String::from_utf8(got).unwrap(), "{\"n\":1}\n{\"user\":\"a\",\"n\":10}\n{\"user\":\"b\",\"n\":2}\n");
}

#[test]
fn sort_json_lines_by_a_field_no_record_has() {
    let wd = Workdir::new("sort-json-absent");
    let input = "{\"line\":1,\"user\":\"b\"}\n{\"line\":2,\"user\":\"a\"}\n";
    // A typo is refused, naming the keys there are.
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "usr"]), input, 2);
    assert!(
        stderr.starts_with("ticky-sort: --by usr: no record has this field; the first has: line, user\n"),
        "{stderr}"
    );
    // A key ticky-parse writes but no record has (no errors today): all equal, input order.
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "error", "--by", "user"]), input);
    assert_eq!(String::from_utf8(got).unwrap(), "{\"line\":2,\"user\":\"a\"}\n{\"line\":1,\"user\":\"b\"}\n");
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "error"]), input);
    assert_eq!(got, input.as_bytes());
}

#[test]
fn sort_beyond_its_buffer_merges_runs_from_a_temporary_file() {
    let wd = Workdir::new("sort-spill");
    std::fs::create_dir(wd.path("tmp")).unwrap();
    // 3000 records with many ties: each key value is shared by about 30 records, whose input order
    // the sort must keep.
    let mut csv = String::from("key,n,id\n");
    let mut json = String::new();
    for id in 0..3000u32 {
        let (key, n) = (format!("k{}", id * 7919 % 97), id * 31 % 13);
        csv.push_str(&format!("\"{key},x\",{n},{id}\n"));
        json.push_str(&format!("{{\"id\":{id},\"key\":\"{key}\",\"n\":{n}}}\n"));
        if id % 10 == 0 {
            json.push_str(&format!("{{\"id\":{id}}}\n"));
        }
    }
    wd.write("in.csv", &csv);
    wd.write("in.jsonl", &json);
    let sort = |file: &str, buffer: Option<&str>| {
        let mut cmd = wd.command("ticky-sort");
        cmd.env("TMPDIR", wd.path("tmp")).args(["--by", "n:nr", "--by", "key", file]);
        if let Some(size) = buffer {
            cmd.args(["--buffer-size", size]);
        }
        String::from_utf8(wd.stdout(&mut cmd, "")).unwrap()
    };
    for file in ["in.csv", "in.jsonl"] {
        let in_memory = sort(file, None);
        // The order a stable sort gives, checked independently of ticky-sort on the CSV.
        if file == "in.csv" {
            let mut rows: Vec<&str> = csv.lines().skip(1).collect();
            let field = |r: &str, i: usize| r.rsplit(',').nth(2 - i).unwrap().to_string();
            rows.sort_by(|a, b| {
                let n = |r: &str| field(r, 1).parse::<u32>().unwrap();
                n(b).cmp(&n(a)).then_with(|| a.split("\",").next().cmp(&b.split("\",").next()))
            });
            assert_eq!(in_memory, format!("key,n,id\n{}\n", rows.join("\n")));
        }
        // A few records per run, and one record per run (3000 runs: merged in two passes).
        for size in ["4K", "1"] {
            assert_eq!(sort(file, Some(size)), in_memory, "{file} with --buffer-size {size}");
        }
    }
    // The temporary file is gone from its directory as soon as it is made.
    assert_eq!(std::fs::read_dir(wd.path("tmp")).unwrap().count(), 0);
}

#[test]
fn counts_beyond_the_memory_budget_spill_and_sum_exactly() {
    let wd = Workdir::new("count-spill");
    std::fs::create_dir(wd.path("tmp")).unwrap();
    // 60,000 distinct users, some with a comma, a quote, a newline escape or non-ASCII in the
    // name, each with a known number of INFO and ERROR lines, in an order that spreads each
    // user's lines over the whole log (and so over every spilled run and every thread's part).
    let users: Vec<String> = (0..60_000u32)
        .map(|i| match i % 5 {
            0 => format!("u{i}"),
            1 => format!("v,{i}"),
            2 => format!("w\"{i}"),
            3 => format!("é{i}"),
            _ => format!("x{:05}", i * 7 % 60_000),
        })
        .collect();
    let mut expected: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut lines = Vec::new();
    for round in 0..3u32 {
        for (i, user) in users.iter().enumerate() {
            let i = i as u32;
            if (i + round) % 3 == 0 {
                continue;
            }
            let error = (i * 13 + round) % 4 == 0;
            let entry = expected.entry(user).or_default();
            if error {
                entry.1 += 1;
                lines.push(format!("{{\"level\":\"ERROR\",\"user\":{}}}", serde_json::to_string(user).unwrap()));
            } else {
                entry.0 += 1;
                lines.push(format!("{{\"level\":\"INFO\",\"user\":{}}}", serde_json::to_string(user).unwrap()));
            }
        }
    }
    wd.write("in.jsonl", lines.join("\n") + "\n");
    // The table as it must be, from first principles: by total descending, then by name's bytes.
    let mut rows: Vec<(&str, (u64, u64))> = expected.into_iter().collect();
    rows.sort_by(|a, b| (b.1 .0 + b.1 .1).cmp(&(a.1 .0 + a.1 .1)).then(a.0.as_bytes().cmp(b.0.as_bytes())));
    let quoted =
        |u: &str| if u.contains([',', '"']) { format!("\"{}\"", u.replace('"', "\"\"")) } else { u.to_string() };
    let pivot: String = rows.iter().map(|(u, (i, e))| format!("{},{i},{e}\n", quoted(u))).collect();
    let pivot = format!("user,INFO,ERROR\n{pivot}");
    let mut totals: Vec<(&str, u64)> = rows.iter().map(|(u, (i, e))| (*u, i + e)).collect();
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_bytes().cmp(b.0.as_bytes())));
    let by_user: String = totals.iter().map(|(u, n)| format!("{},{n}\n", quoted(u))).collect();
    let by_user = format!("user,count\n{by_user}");

    let count = |memory: Option<&str>, threads: &str| {
        let mut cmd = wd.command("ticky-count");
        cmd.env("TMPDIR", wd.path("tmp")).args(["--threads", threads]);
        cmd.args(["--by", "user", "--pivot", "level", "--columns", "INFO,ERROR", "in.jsonl"]);
        cmd.args(["--and", "--by", "user", "-o", "users.csv"]);
        if let Some(memory) = memory {
            cmd.args(["--memory", memory]);
        }
        let table = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
        (table, String::from_utf8(wd.read("users.csv")).unwrap())
    };
    // In memory; then spilled: at the smallest budget the keys go out in well over the 256 runs
    // merged at once, so the merge takes two passes.
    for (memory, threads) in [(None, "1"), (None, "2"), (Some("64K"), "1"), (Some("64K"), "2"), (Some("1M"), "2")] {
        let (table, users) = count(memory, threads);
        assert!(table == pivot, "--memory {memory:?} --threads {threads}: pivot table differs");
        assert!(users == by_user, "--memory {memory:?} --threads {threads}: user table differs");
    }
    // --merge sums within the budget too: the table merged with itself doubles every count.
    wd.write("users.csv", &by_user);
    let mut cmd = wd.command("ticky-count");
    cmd.env("TMPDIR", wd.path("tmp")).args(["--merge", "--memory", "64K", "users.csv", "users.csv"]);
    let doubled = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
    let want: String = totals.iter().map(|(u, n)| format!("{},{}\n", quoted(u), 2 * n)).collect();
    assert!(doubled == format!("user,count\n{want}"), "merged table differs");
    // The temporary files are gone as soon as they are made.
    assert_eq!(std::fs::read_dir(wd.path("tmp")).unwrap().count(), 0);
    let err = wd.fails(
        wd.command("ticky-count")
            .env("TMPDIR", wd.path("missing"))
            .args(["--memory", "64K", "--by", "user", "in.jsonl"]),
        "",
        1,
    );
    assert!(err.contains("set TMPDIR to a directory with room"), "{err}");
    let err = wd.fails(wd.command("ticky-count").args(["--memory", "1K", "--by", "user"]), "", 2);
    assert!(err.starts_with("ticky-count: --memory: expected a size from 64K to 1024G"), "{err}");
}

#[test]
fn sort_says_where_its_temporary_file_could_not_go() {
    let wd = Workdir::new("sort-tmpdir");
    let stderr = wd.fails(
        wd.command("ticky-sort").env("TMPDIR", wd.path("missing")).args(["--by", "a", "-S", "1"]),
        "a\n2\n1\n",
        1,
    );
    let dir = wd.path("missing").display().to_string();
    assert_eq!(
        stderr,
        format!(
            "ticky-sort: writing a temporary file in {dir} (set TMPDIR to a directory with room): \
             No such file or directory\n"
        )
    );
    // Input that fits the buffer needs no temporary file.
    let out = wd.stdout(wd.command("ticky-sort").env("TMPDIR", wd.path("missing")).args(["--by", "a"]), "a\n2\n1\n");
    assert_eq!(out, b"a\n1\n2\n");
    for bad in ["0", "12X", "M", "-1", "99999999999G"] {
        let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "a", "--buffer-size", bad]), "a\n1\n", 2);
        assert!(
            stderr.starts_with(&format!(
                "ticky-sort: --buffer-size: expected a size from 1 byte to 1024G, such as 64M, not \"{bad}\""
            )),
            "{stderr}"
        );
    }
}

#[test]
fn sort_refuses_unknown_columns_and_bad_csv() {
    let wd = Workdir::new("sort-bad");
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "Nope"]), "Error,Count\na,1\n", 2);
    assert!(stderr.contains("--by Nope: no such column; the columns are: Error, Count\n"), "{stderr}");
    // A name may hold ':', so a modifier that is not one is part of the name: say so.
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "Count:x"]), "Error,Count\na,1\n", 2);
    assert!(
        stderr.contains(
            "--by Count:x: no such column; the columns are: Error, Count (the modifiers after ':' are n and r)"
        ),
        "{stderr}"
    );
    let got = wd.stdout(wd.command("ticky-sort").args(["--by", "a:b"]), "x,a:b\n1,b\n2,a\n");
    assert_eq!(got, b"x,a:b\n2,a\n1,b\n");
    wd.write("ragged.csv", "a,b\n1,2\n3\n");
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "a", "ragged.csv"]), "", 1);
    assert_eq!(stderr, "ticky-sort: ragged.csv:3: row has 1 fields but the header has 2\n");
    let stderr = wd.fails(wd.command("ticky-sort").args(["--by", "a"]), "a,b\n1,2\n\"3,4\n5,6\n", 1);
    assert!(stderr.starts_with("ticky-sort: <stdin>:3: unterminated quoted field"), "{stderr}");
}

#[test]
fn broken_json_names_file_and_line() {
    let wd = Workdir::new("count-broken");
    wd.write("bad.jsonl", "{\"error\":\"x\"}\n{\"error\":\"y\"\n");
    let stderr = wd.fails(wd.command("ticky-count").args(["--by", "error", "bad.jsonl"]), "", 1);
    assert_eq!(stderr, "ticky-count: bad.jsonl:2: invalid JSON record: the object is not closed (column 13)\n");
}

#[test]
fn where_filters_and_number_keys() {
    let wd = Workdir::new("count-where");
    let input = "{\"user\":\"a\",\"level\":\"INFO\",\"pid\":7}\n{\"user\":\"a\",\"level\":\"ERROR\",\"pid\":7}\n{\"user\":\"b\",\"level\":\"ERROR\",\"pid\":8}\n{\"level\":\"ERROR\"}\n";
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "user", "--where", "level=ERROR"]), input);
    assert_eq!(String::from_utf8(got).unwrap(), "user,count\na,1\nb,1\n");
    let got = wd.stdout(wd.command("ticky-count").args(["--by", "pid,user"]), input);
    assert_eq!(String::from_utf8(got).unwrap(), "pid,user,count\n7,a,2\n8,b,1\n");
}

#[test]
fn a_field_no_record_has_is_warned_of_unless_ticky_parse_writes_it() {
    let wd = Workdir::new("count-unknown-field");
    let input = "{\"user\":\"a\",\"level\":\"INFO\"}\n{\"user\":\"b\",\"level\":\"INFO\",\"queue\":null}\n";
    let run = |args: &[&str]| {
        let out = wd.output(wd.command("ticky-count").args(args), input);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    // A misspelt key or filter field: the table is empty, and standard error says why.
    let (stdout, stderr) = run(&["--by", "usr"]);
    assert_eq!(stdout, "usr,count\n");
    assert_eq!(
        stderr,
        "ticky-count: warning: no record has a field \"usr\" (2 read), so nothing that needs it was counted; \
         the fields of ticky-parse's records are file, line, time, host, program, pid, facility, severity, \
         message, repeat, level, info, error, ticket, user, raw, truncated, length, ip, method, path, query, \
         protocol, status, bytes, referer, agent, duration_ms, vhost, auth, login, port\n"
    );
    let (stdout, stderr) =
        run(&["--by", "user", "--where", "levle=INFO", "--and", "--by", "level", "-o", "levels.csv"]);
    assert_eq!(stdout, "user,count\n");
    assert_eq!(wd.read("levels.csv"), b"level,count\nINFO,2\n");
    assert!(stderr.starts_with("ticky-count: warning: no record has a field \"levle\" (2 read)"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // A day without errors has no `error` field anywhere, nor an ERROR for its pivot column: no
    // news. A key that is there, if only as null, is no typo.
    for args in
        [&["--by", "error"][..], &["--by", "queue"], &["--by", "user", "--pivot", "level", "--columns", "INFO,ERROR"]]
    {
        let (_, stderr) = run(args);
        assert_eq!(stderr, "", "{args:?}");
    }
    // Nothing read, nothing to say.
    let out = wd.output(wd.command("ticky-count").args(["--by", "usr"]), "");
    assert_eq!((out.status.success(), &out.stdout[..], &out.stderr[..]), (true, &b"usr,count\n"[..], &b""[..]));
}

#[test]
fn usage_errors_exit_2() {
    let wd = Workdir::new("count-usage");
    for (args, want) in [
        (&["--header", "A,B"][..], "--by FIELD is required"),
        (&["--by", "user", "--header", "A"], "--header names 1 column but the output has 2: user,count"),
        (&["--by", "user", "--pivot", "level"], "--pivot needs --columns"),
        (&["--by", "user", "--where", "level"], "--where: expected FIELD=VALUE"),
        (&["--by", "a,,b"], "--by: empty name"),
        (&["--by", "user", "--pivot", "level", "--columns", "INFO,ERROR,INFO"], "--columns: INFO is listed twice"),
    ] {
        let stderr = wd.fails(wd.command("ticky-count").args(args), "", 2);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

fn generated(lines: u64, seed: u64) -> (Vec<u8>, gen::Truth) {
    let mut log = Vec::new();
    let truth =
        gen::generate(&GenOptions { lines, seed, messy: true, format: gen::GenFormat::Syslog }, &mut log).unwrap();
    (log, truth)
}

#[test]
fn user_counts_of_generated_log_equal_its_truth() {
    let wd = Workdir::new("count-truth");
    let (log, truth) = generated(50_000, 11);
    wd.write("g.log", &log);
    let csv = sh_ok(&wd, "ticky-parse g.log 2>/dev/null | ticky-count --by user --pivot level --columns INFO,ERROR");
    let mut reader = ticky::csvio::CsvReader::new(csv.as_bytes(), "out");
    let mut row = ticky::csvio::Row::default();
    reader.read_row(&mut row).unwrap();
    let mut users = BTreeMap::new();
    while reader.read_row(&mut row).unwrap().is_some() {
        let n = |i| std::str::from_utf8(row.get(i)).unwrap().parse::<u64>().unwrap();
        users.insert(String::from_utf8(row.get(0).to_vec()).unwrap(), (n(1), n(2)));
    }
    assert_eq!(users, truth.users);
    let csv = sh_ok(&wd, "ticky-parse g.log 2>/dev/null | ticky-count --by error");
    assert_eq!(csv.lines().count(), truth.errors.len() + 1);
    for (error, n) in &truth.errors {
        assert!(csv.contains(&format!("{error},{n}\n")), "{error} {n}\n{csv}");
    }
}

#[test]
fn three_parts_merged_equal_the_whole() {
    let wd = Workdir::new("count-merge");
    let (log, _) = generated(30_000, 5);
    wd.write("g.log", &log);
    let script = "set -e
        ticky-parse g.log 2>/dev/null > all.jsonl
        split -n l/3 all.jsonl part.
        for p in part.aa part.ab part.ac; do ticky-count $ARGS $p > $p.csv; done
        ticky-count $ARGS all.jsonl > whole.csv
        ticky-count --merge $MERGE part.aa.csv part.ab.csv part.ac.csv > merged.csv
        cmp whole.csv merged.csv && wc -l < whole.csv";
    for (args, merge) in [
        ("--by error", ""),
        ("--by user --pivot level --columns INFO,ERROR", "--by user"),
        ("--by program,host", "--by program,host"),
    ] {
        let out = wd.sh(&format!("ARGS='{args}' MERGE='{merge}'; {script}"));
        assert!(out.status.success(), "{args}: {}", String::from_utf8_lossy(&out.stderr));
        let rows: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(rows > 3, "{args}: only {rows} rows");
    }
}

#[test]
fn gnu_parallel_splits_the_work_and_merge_joins_it() {
    let wd = Workdir::new("count-parallel");
    let (log, _) = generated(40_000, 8);
    wd.write("big.log", &log);
    let out = wd.sh("parallel --will-cite --pipepart -a big.log --block 300k 'ticky-parse 2>/dev/null | ticky-count --by error > part.{#}.csv' && \
                     ls part.*.csv | wc -l && ticky-count --merge part.*.csv > merged.csv && \
                     ticky-parse big.log 2>/dev/null | ticky-count --by error > whole.csv && cmp merged.csv whole.csv");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let parts: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(parts > 3, "parallel made only {parts} parts");
}

#[test]
fn merge_refuses_different_headers_and_bad_counts() {
    let wd = Workdir::new("count-merge-bad");
    wd.write("a.csv", "error,count\nx,1\n");
    wd.write("b.csv", "user,count\nx,1\n");
    wd.write("c.csv", "error,count\nx,many\n");
    let stderr = wd.fails(wd.command("ticky-count").args(["--merge", "a.csv", "b.csv"]), "", 1);
    assert!(stderr.starts_with("ticky-count: b.csv:1: header differs from the one in a.csv"), "{stderr}");
    let stderr = wd.fails(wd.command("ticky-count").args(["--merge", "a.csv", "c.csv"]), "", 1);
    assert_eq!(stderr, "ticky-count: c.csv:2: count \"many\" is not a whole number\n");
}

#[test]
fn an_output_file_changes_only_when_the_run_succeeds_and_may_also_be_an_input() {
    let wd = Workdir::new("count-output-is-input");
    let total = "error,count\nx,2\n";
    let today = "error,count\nx,1\ny,1\n";
    wd.write("total.csv", total);
    wd.write("today.csv", today);
    fs::set_permissions(wd.path("total.csv"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("total.csv", wd.path("link.csv")).unwrap();
    let unchanged = |what: &str| {
        assert_eq!(wd.read("total.csv"), total.as_bytes(), "{what}");
        assert_eq!(wd.read("today.csv"), today.as_bytes(), "{what}");
        let names: Vec<String> =
            fs::read_dir(&wd.dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{what}: a temporary file was left: {names:?}");
    };
    // Bad input half way: the file keeps its old contents (it used to be left empty).
    let out = wd.sh("printf '{\"error\":\"a\"}\\nbad\\n' | ticky-count --by error -o total.csv");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    unchanged("bad input");
    // Standard input that is the output file, and is not JSON Lines: an error, and nothing changed.
    let out = wd.sh("ticky-count --by error -o today.csv --and --by user -o total.csv - < total.csv");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    unchanged("CSV on standard input");
    // A usage error leaves the output file as it was.
    let out = wd.sh("ticky-count --merge --where error=x -o total.csv today.csv");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    unchanged("usage error");
    // A later table's file that cannot be created leaves the earlier ones as they were.
    let out = wd.sh("ticky-count --by error -o today.csv --and --by user -o missing/users.csv total.csv");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output: creating missing/users.csv"), "{out:?}");
    unchanged("missing folder");

    // A running total: the output is also an input, read whole before it is replaced; through a
    // link the file it points to is replaced, the link stays, and the file keeps its mode.
    sh_ok(&wd, "ticky-count --merge -o total.csv total.csv today.csv");
    assert_eq!(wd.read("total.csv"), b"error,count\nx,3\ny,1\n");
    sh_ok(&wd, "ticky-count --merge -o link.csv today.csv link.csv");
    assert_eq!(wd.read("total.csv"), b"error,count\nx,4\ny,2\n");
    assert!(fs::symlink_metadata(wd.path("link.csv")).unwrap().file_type().is_symlink());
    assert_eq!(fs::metadata(wd.path("total.csv")).unwrap().permissions().mode() & 0o777, 0o640);
    // /dev/null is written as it is.
    sh_ok(&wd, "ticky-count --merge -o /dev/null total.csv");
}

/// Counts `records` split at `cuts` part by part, merges the parts, and counts the whole, all in
/// process; returns (merged, whole).
fn merged_and_whole(wd: &Workdir, records: &[String], cuts: &[usize], opts: &CountOptions) -> (Vec<u8>, Vec<u8>) {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|&c| c % (records.len() + 1)));
    bounds.push(records.len());
    bounds.sort_unstable();
    let mut parts = Vec::new();
    for (i, w) in bounds.windows(2).enumerate() {
        let part = wd.write(&format!("part{i}.jsonl"), records[w[0]..w[1]].concat());
        let mut out = Vec::new();
        count::run(std::slice::from_ref(opts), &[part.display().to_string()], &mut out).unwrap();
        parts.push(wd.write(&format!("part{i}.csv"), out).display().to_string());
    }
    let whole = wd.write("whole.jsonl", records.concat());
    let mut expected = Vec::new();
    count::run(std::slice::from_ref(opts), &[whole.display().to_string()], &mut expected).unwrap();
    let merge = CountOptions { merge: true, by: opts.by.clone(), ..CountOptions::default() };
    let mut merged = Vec::new();
    count::run(std::slice::from_ref(&merge), &parts, &mut merged).unwrap();
    (merged, expected)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn merging_parts_equals_counting_the_whole(
        records in proptest::collection::vec(("[a-c,\"\n ]{0,3}", prop_oneof![Just("INFO"), Just("ERROR"), Just("x")], any::<bool>()), 0..60),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let wd = Workdir::new("count-prop");
        let records: Vec<String> = records
            .iter()
            .map(|(user, level, has_user)| {
                let user = if *has_user { format!(",\"user\":{}", serde_json::to_string(user).unwrap()) } else { String::new() };
                format!("{{\"level\":\"{level}\"{user}}}\n")
            })
            .collect();
        let plain = CountOptions { by: vec!["user".into()], ..CountOptions::default() };
        let (merged, whole) = merged_and_whole(&wd, &records, &cuts, &plain);
        prop_assert_eq!(merged, whole);
        let pivot = CountOptions {
            by: vec!["user".into()],
            pivot: Some(Pivot { field: "level".into(), columns: vec!["INFO".into(), "ERROR".into()] }),
            ..CountOptions::default()
        };
        let (merged, whole) = merged_and_whole(&wd, &records, &cuts, &pivot);
        prop_assert_eq!(merged, whole);
    }
}

#[test]
fn merging_pivot_tables_needs_their_key_and_then_equals_the_whole() {
    let wd = Workdir::new("count-merge-pivot");
    let mut log = Vec::new();
    let truth =
        gen::generate(&GenOptions { lines: 200_000, seed: 5, messy: false, format: gen::GenFormat::Syslog }, &mut log)
            .unwrap();
    wd.write("big.log", &log);
    // Three parts cut at line boundaries, each counted as a pivot table.
    let table = "--by user --pivot level --columns INFO,ERROR";
    sh_ok(
        &wd,
        &format!(
            "ticky-parse --year 2025 big.log 2>/dev/null > all.jsonl && split -n l/3 all.jsonl part. && \
             for p in part.a?; do ticky-count {table} $p > $p.csv; done"
        ),
    );
    // Without the key: the header ends in ERROR, not count, so the key cannot be told.
    let out = wd.sh("ticky-count --merge -o merged.csv part.a?.csv");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not end in a count column") && stderr.contains("--by user"), "{stderr}");
    assert!(!wd.path("merged.csv").exists());
    // With it, by --by or --keys: the whole table, and the generator's truth.
    let whole = sh_ok(&wd, &format!("ticky-count {table} all.jsonl"));
    for key in ["--by user", "--keys 1"] {
        let merged = sh_ok(&wd, &format!("ticky-count --merge {key} part.a?.csv"));
        assert_eq!(merged, whole, "{key}");
    }
    let mut expected: Vec<(u64, String, u64, u64)> =
        truth.users.iter().map(|(u, &(i, e))| (i + e, u.clone(), i, e)).collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let rows: Vec<String> = expected.iter().map(|(_, u, i, e)| format!("{u},{i},{e}")).collect();
    assert_eq!(whole.lines().skip(1).collect::<Vec<_>>(), rows);
    assert_eq!(whole.lines().count(), truth.users.len() + 1);
}

#[test]
fn a_repeated_message_counts_as_its_events_unless_lines_are_asked_for() {
    let wd = Workdir::new("count-repeat");
    wd.write(
        "r.log",
        "Jan 31 00:09:39 h ticky: ERROR Boom (ac)\n\
         Jan 31 00:09:40 h ticky: message repeated 4 times: [ ERROR Boom (ac)]\n\
         Jan 31 00:09:41 h ticky: message repeated 2 times: [ INFO Created ticket [#7] (bo)]\n\
         Jan 31 00:09:42 h sshd[3]: message repeated 0 times: [ x]\n",
    );
    let records = json_lines(&wd.stdout(wd.command("ticky-parse").args(["--year", "2025", "r.log"]), ""));
    assert_eq!((records[1]["repeat"].as_u64(), records[1]["error"].as_str()), (Some(4), Some("Boom")));
    assert_eq!((records[2]["repeat"].as_u64(), records[2]["ticket"].as_u64()), (Some(2), Some(7)));
    assert!(records[3].get("repeat").is_none(), "{}", records[3]);
    let users = "--by user --pivot level --columns INFO,ERROR";
    for source in ["r.log", "records"] {
        let feed = if source == "records" { "ticky-parse r.log | ticky-count" } else { "ticky-count" };
        let file = if source == "records" { "" } else { "r.log" };
        assert_eq!(sh_ok(&wd, &format!("{feed} --by error {file}")), "error,count\nBoom,5\n");
        assert_eq!(sh_ok(&wd, &format!("{feed} {users} {file}")), "user,INFO,ERROR\nac,0,5\nbo,2,0\n");
        assert_eq!(sh_ok(&wd, &format!("{feed} --lines --by error {file}")), "error,count\nBoom,2\n");
    }
}
