//! Login events through the real binaries: failed attempts per address and logins per account from
//! a generated sshd log equal the generator's truth (a repeated message counting its repeats, the
//! PAM and `Invalid user` lines of the same attempts not counting again, account names made to
//! look like an address not fooling it), by ticky-count, through records, and in ticky-store; and
//! on a real log, the addresses of PAM's failures as loghub's ground truth has them.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{count_table, json_lines, repo_root, sql_counts, truth_counts, Workdir};
use serde_json::Value;

#[test]
fn failed_attempts_per_address_and_logins_per_account_equal_the_truth() {
    let wd = Workdir::new("auth-truth");
    let log = wd.stdout(
        wd.command("ticky-gen")
            .args(["--format", "sshd", "--messy", "-n", "40000", "--seed", "6", "--truth", "t.json"]),
        "",
    );
    wd.write("auth.log", &log);
    let truth: Value = serde_json::from_slice(&wd.read("t.json")).unwrap();
    let failures = truth_counts(&truth, "failures");
    let successes = truth_counts(&truth, "successes");
    assert!(failures.len() > 30 && !failures.contains_key("6.6.6.6"));
    let count = |args: &[&str], input: &str| {
        let out = wd.output(wd.command("ticky-count").args(args).arg(input), "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        count_table(&out.stdout)
    };
    assert_eq!(count(&["--by", "ip", "--where", "auth=failure"], "auth.log"), failures);
    assert_eq!(count(&["--by", "login", "--where", "auth=success"], "auth.log"), successes);
    // --lines counts lines, not attempts: fewer, since repeated messages stand for several.
    let lines: u64 = count(&["--by", "ip", "--where", "auth=failure", "--lines"], "auth.log").values().sum();
    assert!(lines < failures.values().sum::<u64>());
    // Through ticky-parse's records, the same.
    let records = wd.stdout(wd.command("ticky-parse").arg("auth.log"), "");
    wd.write("auth.jsonl", &records);
    assert_eq!(count(&["--by", "ip", "--where", "auth=failure"], "auth.jsonl"), failures);
    // Every record with an address has it as the line's last `from`/`rhost=` one: never 6.6.6.6.
    for r in json_lines(&records) {
        if let Some(ip) = r.get("ip") {
            assert_ne!(ip, "6.6.6.6", "{r}");
        }
    }
    // In ticky-store, by SQL.
    let out = wd.output(wd.command("ticky-store").args(["-q", "auth.db", "auth.log"]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_sql = sql_counts(
        &wd,
        "auth.db",
        "SELECT ip, sum(coalesce(repeat, 1)) FROM records WHERE auth = 'failure' AND ip IS NOT NULL GROUP BY ip",
    );
    assert_eq!(by_sql, failures);
}

#[test]
fn pam_failures_of_a_real_log_have_the_addresses_loghub_reads() {
    let dir = repo_root().join("../shared/data/loghub");
    if !dir.join("Linux_2k.log").exists() {
        eprintln!("skipped: ../shared/data/loghub is not there");
        return;
    }
    let wd = Workdir::new("auth-loghub");
    // loghub's structured CSV, read with Python's csv module: the rhost of each PAM
    // `authentication failure` of sshd (the events whose template says so), per address, and per
    // address and account for those that name the account.
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(
        "import csv, json, sys, collections\n\
         ips, pairs = collections.Counter(), collections.Counter()\n\
         for row in csv.DictReader(open(sys.argv[1], newline='')):\n\
         \x20   if row['Component'] == 'sshd(pam_unix)' and row['EventTemplate'].startswith('authentication failure;'):\n\
         \x20       ip = row['Content'].split('rhost=')[1].split()[0]\n\
         \x20       ips[ip] += 1\n\
         \x20       if ' user=' in row['Content']:\n\
         \x20           pairs[ip + ',' + row['Content'].split(' user=')[1]] += 1\n\
         print(json.dumps([ips, pairs]))",
    );
    cmd.arg(dir.join("Linux_2k.log_structured.csv"));
    let (ips, pairs): (BTreeMap<String, u64>, BTreeMap<String, u64>) =
        serde_json::from_slice(&wd.stdout(&mut cmd, "")).unwrap();
    assert!(ips.values().sum::<u64>() > 400 && pairs.len() > 30, "{ips:?}");
    let count = |by: &str| {
        let mut cmd = wd.command("ticky-count");
        cmd.args(["--by", by, "--where", "program=sshd(pam_unix)"]).arg(dir.join("Linux_2k.log"));
        count_table(&wd.stdout(&mut cmd, ""))
    };
    assert_eq!(count("ip"), ips);
    assert_eq!(count("ip,login"), pairs);
    // They describe attempts; none of them is one: no auth.
    let auth = wd.stdout(wd.command("ticky-count").args(["--by", "auth"]).arg(dir.join("Linux_2k.log")), "");
    assert_eq!(auth, b"auth,count\n");
}
