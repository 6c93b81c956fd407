//! `ticky-alert` against a naive reference written here (every window counted from scratch), live
//! through `ticky-follow` and replayed, with its command and its mail delivered by a real MTA.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin_path, Workdir};

/// A record as the test knows it.
struct Event {
    t: i64,
    ip: &'static str,
    error: bool,
    ms: u64,
}

const IPS: [&str; 5] = ["10.0.0.1", "10.0.0.2", "192.0.2.7", "198.51.100.4", "203.0.113.9"];

/// Records over about a day, errors now and then, with bursts of errors from one address and of
/// slow requests injected.
fn events(seed: u64) -> Vec<Event> {
    let mut rng = common::Rng(seed);
    let mut t = 1_738_281_600; // 2025-01-31T00:00:00Z
    let mut out = Vec::new();
    for i in 0..4000 {
        t += rng.below(25) as i64;
        let burst = i % 700 == 350;
        let n = if burst { 9 } else { 1 };
        let ip = IPS[rng.below(IPS.len() as u64) as usize];
        for _ in 0..n {
            let ms = if burst { 2500 + rng.below(1000) } else { 20 + rng.below(400) };
            out.push(Event { t, ip, error: burst || rng.below(8) == 0, ms });
            t += rng.below(3) as i64;
        }
    }
    out
}

fn jsonl(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| {
            let mut time = Vec::new();
            ticky::moment::write_time(e.t, Some(0), &mut time);
            format!(
                "{{\"time\":\"{}\",\"ip\":\"{}\",\"level\":\"{}\",\"duration_ms\":{}}}\n",
                String::from_utf8(time).unwrap(),
                e.ip,
                if e.error { "ERROR" } else { "INFO" },
                e.ms
            )
        })
        .collect()
}

/// An alert as the tests compare them: its line, key and value.
type Alert = (usize, String, u64);

/// The alerts of `level=ERROR count > N within D by ip` and of `p95(duration_ms) > X within D by
/// ip`, each window counted from scratch: (line, ip, value).
fn reference(events: &[Event], count_over: u64, p95_over: u64, window: i64) -> (Vec<Alert>, Vec<Alert>) {
    let (mut counts, mut p95s) = (Vec::new(), Vec::new());
    let (mut armed_c, mut armed_p): (BTreeMap<&str, bool>, BTreeMap<&str, bool>) = (BTreeMap::new(), BTreeMap::new());
    let mut seen: BTreeMap<&str, VecDeque<&Event>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let prior: Vec<&&Event> =
            seen.get(e.ip).map_or(Vec::new(), |d| d.iter().filter(|p| p.t > e.t - window).collect());
        // p95 of the window, nearest rank.
        let p95 = |values: &mut Vec<u64>| {
            values.sort();
            values.get((95 * values.len()).div_ceil(100).max(1) - 1).copied()
        };
        let mut before: Vec<u64> = prior.iter().map(|p| p.ms).collect();
        let holds_before = p95(&mut before).is_some_and(|v| v > p95_over);
        let armed = armed_p.entry(e.ip).or_insert(true);
        if !*armed && !holds_before {
            *armed = true;
        }
        before.push(e.ms);
        let now = p95(&mut before).unwrap();
        if *armed && now > p95_over {
            *armed = false;
            p95s.push((i + 1, e.ip.to_string(), now));
        }
        if e.error {
            let before = prior.iter().filter(|p| p.error).count() as u64;
            let armed = armed_c.entry(e.ip).or_insert(true);
            if !*armed && before <= count_over {
                *armed = true;
            }
            if *armed && before + 1 > count_over {
                *armed = false;
                counts.push((i + 1, e.ip.to_string(), before + 1));
            }
        }
        seen.entry(e.ip).or_default().push_back(e);
    }
    (counts, p95s)
}

const RULES: &str = "# the test's rules\n\
                     burst: level=ERROR count > 5 within 2m by ip\n\
                     \n\
                     slow: p95(duration_ms) > 2000 within 10m by ip\n";

/// (line, key, value) of the alerts of one rule in ticky-alert's output.
fn alerts_of(out: &[u8], rule: &str, measure: &str) -> Vec<Alert> {
    common::json_lines(out)
        .into_iter()
        .filter(|a| a["rule"] == rule)
        .map(|a| {
            (a["line"].as_u64().unwrap() as usize, a["ip"].as_str().unwrap().to_string(), a[measure].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn alerts_fire_exactly_where_the_window_first_crosses_and_again_only_after_it_stopped() {
    let wd = Workdir::new("alert-windows");
    let events = events(3);
    wd.write("records.jsonl", jsonl(&events));
    wd.write("rules", RULES);
    let out = wd.stdout(wd.command("ticky-alert").args(["--rules", "rules", "records.jsonl"]), "");
    let (counts, p95s) = reference(&events, 5, 2000, 120);
    assert!(counts.len() >= 5 && p95s.len() >= 5, "{} {}", counts.len(), p95s.len());
    assert_eq!(alerts_of(&out, "burst", "count"), counts);
    assert_eq!(alerts_of(&out, "slow", "p95"), p95s);
    // Each alert says its window.
    let first = &common::json_lines(&out)[0];
    assert!(first["first"].as_str().unwrap() <= first["last"].as_str().unwrap(), "{first}");
    assert_eq!(first["threshold"], if first["rule"] == "burst" { 5 } else { 2000 });
}

#[test]
fn a_spike_against_the_last_buckets_fires_once() {
    let wd = Workdir::new("alert-zscore");
    let mut rng = common::Rng(9);
    let mut events = Vec::new();
    let start = 1_738_281_600;
    for minute in 0..90 {
        // About ten a minute, and sixty in minute 70.
        let n = if minute == 70 { 60 } else { 8 + rng.below(5) };
        for k in 0..n {
            events.push(Event { t: start + minute * 60 + (k * 60 / n) as i64, ip: IPS[0], error: true, ms: 1 });
        }
    }
    wd.write("records.jsonl", jsonl(&events));
    let out = wd.stdout(
        wd.command("ticky-alert").args(["--rule", "spike: zscore(count per 1m, last 30) > 4", "records.jsonl"]),
        "",
    );
    let alerts = common::json_lines(&out);
    assert_eq!(alerts.len(), 1, "{}", String::from_utf8_lossy(&out));
    assert!(alerts[0]["first"].as_str().unwrap().starts_with("2025-01-31T01:10:"), "{}", alerts[0]);
    assert!(alerts[0]["zscore"].as_f64().unwrap() > 4.0);
}

#[test]
fn live_through_ticky_follow_gives_the_alerts_of_the_replay_within_a_second() {
    let wd = Workdir::new("alert-live");
    let events = events(4);
    let text = jsonl(&events);
    wd.write("rules", RULES);
    let replay = wd.stdout(wd.command("ticky-alert").args(["--rules", "rules"]), &text);
    wd.write("live.jsonl", "");
    let mut follow = Command::new(bin_path("ticky-follow"))
        .current_dir(&wd.dir)
        .args(["--interval", "20", "live.jsonl"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut alert = Command::new(bin_path("ticky-alert"))
        .current_dir(&wd.dir)
        .args(["--rules", "rules"])
        .stdin(follow.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut alerts_out = alert.stdout.take().unwrap();
    // The first alert's line, written alone, and the time until its alert comes out.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first_alert = common::json_lines(&replay)[0]["line"].as_u64().unwrap() as usize;
    let mut file = OpenOptions::new().append(true).open(wd.path("live.jsonl")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    file.write_all(lines[..first_alert - 1].concat().as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    file.write_all(lines[first_alert - 1].as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n") {
        assert_eq!(alerts_out.read(&mut byte).unwrap(), 1);
        got.push(byte[0]);
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "the alert came after {took:?}");
    // The rest, in pieces over time.
    for chunk in lines[first_alert..].chunks(500) {
        file.write_all(chunk.concat().as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(500));
    follow.kill().unwrap();
    follow.wait().unwrap();
    alerts_out.read_to_end(&mut got).unwrap();
    alert.wait().unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(replay).unwrap());
}

#[test]
fn exec_gets_the_alert_and_its_environment() {
    let wd = Workdir::new("alert-exec");
    let events = events(5);
    let out = wd.stdout(
        wd.command("ticky-alert").args([
            "--rule",
            "burst: level=ERROR count > 5 within 2m by ip",
            "--exec",
            "cat >> got.jsonl; echo \"$TICKY_RULE $TICKY_KEY $TICKY_VALUE $TICKY_THRESHOLD\" >> env.txt",
        ]),
        jsonl(&events),
    );
    assert_eq!(wd.read("got.jsonl"), out);
    let env = String::from_utf8(wd.read("env.txt")).unwrap();
    let first = &common::json_lines(&out)[0];
    assert_eq!(env.lines().next().unwrap(), format!("burst {} {} 5", first["ip"].as_str().unwrap(), first["count"]));
    assert_eq!(env.lines().count(), out.iter().filter(|&&b| b == b'\n').count());
}

#[test]
fn a_mail_per_alert_reaches_a_real_mta() {
    let wd = Workdir::new("alert-mail");
    let Some(mut server) = common::smtp_sink(&wd) else { return };
    let hostile =
        "{\"time\":\"2025-01-31T00:00:01Z\",\"ip\":\"10.9.9.9\\r\\nBcc: victim@example.com\",\"level\":\"ERROR\"}\n";
    let input = hostile.repeat(3);
    let out = wd.stdout(
        wd.command("ticky-alert").env("HOME", &wd.dir).args([
            "--rule",
            "burst: level=ERROR count > 2 within 2m by ip",
            "--mail",
            "ops@example.com",
        ]),
        input,
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(common::json_lines(&out).len(), 1);
    let mailbox = String::from_utf8_lossy(&wd.read("mailbox")).into_owned();
    assert!(mailbox.starts_with("RCPT ops@example.com\n"), "{mailbox}");
    assert!(mailbox.contains("Subject: ticky-alert: burst (10.9.9.9  Bcc: victim@example.com)"), "{mailbox}");
    assert!(mailbox.contains("  count: 3\n") && mailbox.contains("  threshold: 2\n"), "{mailbox}");
    assert!(
        !mailbox.contains("\nBcc:") && !mailbox.contains("victim@example.com,"),
        "a header from the log: {mailbox}"
    );
}

/// Records of one error every ten seconds for half an hour.
fn steady_errors() -> String {
    let events: Vec<Event> =
        (0..180).map(|i| Event { t: 1_738_281_600 + i * 10, ip: IPS[0], error: true, ms: 1 }).collect();
    jsonl(&events)
}

#[test]
fn repeat_fires_again_while_the_rule_holds_and_a_digest_gathers_a_storm() {
    let wd = Workdir::new("alert-repeat");
    let rule = "steady: level=ERROR count > 2 within 1m";
    let out = wd.stdout(wd.command("ticky-alert").args(["--rule", rule, "--repeat", "5m"]), steady_errors());
    // It holds from the third record (20 s) on: then every 5 minutes of the records' time.
    let lasts: Vec<String> =
        common::json_lines(&out).iter().map(|a| a["last"].as_str().unwrap()[11..19].to_string()).collect();
    assert_eq!(lasts, ["00:00:20", "00:05:20", "00:10:20", "00:15:20", "00:20:20", "00:25:20"]);
    let once = wd.stdout(wd.command("ticky-alert").args(["--rule", rule]), steady_errors());
    assert_eq!(common::json_lines(&once).len(), 1);

    let Some(mut server) = common::smtp_sink(&wd) else { return };
    let out = wd.stdout(
        wd.command("ticky-alert").env("HOME", &wd.dir).args([
            "--rule",
            rule,
            "--repeat",
            "5m",
            "--mail",
            "ops@example.com",
            "--mail-every",
            "1h",
        ]),
        steady_errors(),
    );
    let _ = server.kill();
    let _ = server.wait();
    let mailbox = String::from_utf8_lossy(&wd.read("mailbox")).into_owned();
    assert_eq!(common::json_lines(&out).len(), 6);
    assert_eq!(mailbox.matches("RCPT ops@example.com").count(), 1, "{mailbox}");
    assert!(mailbox.contains("Subject: ticky-alert: 6 alerts: steady"), "{mailbox}");
    assert_eq!(mailbox.matches("holds:").count(), 6, "{mailbox}");
}

#[test]
fn bad_rules_are_usage_errors_that_show_the_grammar() {
    let wd = Workdir::new("alert-usage");
    let err = wd.fails(wd.command("ticky-alert").args(["--rule", "errors: level=ERROR count > 10"]), "", 2);
    assert!(err.contains("say over what time"), "{err}");
    let err = wd.fails(&mut wd.command("ticky-alert"), "", 2);
    assert!(err.contains("give a rule"), "{err}");
    wd.write("rules", "ok: count > 1 within 1m\nbad rule\n");
    let err = wd.fails(wd.command("ticky-alert").args(["--rules", "rules"]), "", 2);
    assert!(err.contains("rules:2: rule \"bad rule\": expected NAME:"), "{err}");
}
