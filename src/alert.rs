//! `ticky-alert`: rules over records in exact windows that slide on the records' own time, so
//! that replaying a log gives the alerts the live run gave.
//!
//! A rule is `NAME: [CONDITION...] AGGREGATE > THRESHOLD [within DURATION] [by FIELD[,FIELD...]]`:
//! `count`, a percentile `p95(FIELD)`, or `zscore(count per 1m, last 60)` (the current bucket's
//! count against the previous buckets'). The window of a record at time t is (t − DURATION, t].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use regex::Regex;

use crate::access::DurationUnit;
use crate::counter::{decode_key, push_key_field};
use crate::error::{Error, Result};
use crate::filter::Condition;
use crate::format::{tell_kind, Format, Kind};
use crate::input::{self, LineReader};
use crate::json::Fields;
use crate::moment::{self, Clock, Zone};
use crate::record::{self, Key, Record, Year};
use crate::stats::{parse_number, write_approx, write_exact};

/// What a rule measures in its window.
#[derive(Clone, Debug, PartialEq)]
enum Aggregate {
    Count,
    /// The p-th percentile (nearest rank) of a numeric field.
    Percentile {
        p: u32,
        field: String,
    },
    /// The z-score of the current bucket's count against the previous `last` buckets'.
    ZScore {
        width: i64,
        last: usize,
    },
}

/// One rule, as parsed.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    conditions: Vec<Condition>,
    aggregate: Aggregate,
    /// Fires when the aggregate is above (or with `>=`, at least) this.
    threshold: f64,
    at_least: bool,
    /// The window, in nanoseconds.
    window: i64,
    by: Vec<String>,
    text: String,
}

/// Buckets a z-score needs before it may fire.
const MIN_HISTORY: usize = 5;

fn grammar() -> Regex {
    Regex::new(
        r"(?x)^\s*(?P<name>[^:\s][^:]*?)\s*:\s*(?P<filters>.*?)\s*
          (?P<agg>count|p(?P<p>\d{1,2})\(\s*(?P<field>[^)\s]+)\s*\)
             |zscore\(\s*count\s+per\s+(?P<zw>\d+[smhd])\s*,\s*last\s+(?P<zk>\d+)\s*\))
          \s*(?P<op>>=|>)\s*(?P<thr>\d+(?:\.\d+)?)
          (?:\s+within\s+(?P<win>\d+[smhd]))?
          (?:\s+by\s+(?P<by>\S+))?\s*$",
    )
    .expect("the rule grammar compiles")
}

impl Rule {
    /// Reads a rule (see the module's documentation).
    pub fn parse(text: &str) -> std::result::Result<Rule, String> {
        let expected = "expected NAME: [FIELD=VALUE ...] count > N within 5m [by FIELD], \
                        p95(FIELD) > X within 5m, or zscore(count per 1m, last 60) > 3";
        let caps = grammar().captures(text).ok_or_else(|| format!("rule {text:?}: {expected}"))?;
        let conditions = caps["filters"]
            .split_whitespace()
            .map(|c| Condition::parse(c).map_err(|e| format!("rule {text:?}: {}", e.trim_start_matches("--where: "))))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let aggregate = match (caps.name("p"), caps.name("zw")) {
            (Some(p), _) => {
                let p: u32 = p.as_str().parse().map_err(|_| format!("rule {text:?}: a percentile from 1 to 99"))?;
                if p == 0 {
                    return Err(format!("rule {text:?}: a percentile from 1 to 99"));
                }
                Aggregate::Percentile { p, field: caps["field"].to_string() }
            }
            (None, Some(width)) => {
                let last: usize = caps["zk"].parse().map_err(|_| format!("rule {text:?}: last N buckets"))?;
                if !(2..=10_000).contains(&last) {
                    return Err(format!("rule {text:?}: last N buckets, N from 2 to 10000"));
                }
                Aggregate::ZScore { width: moment::parse_width(width.as_str()).expect("the grammar's width"), last }
            }
            (None, None) => Aggregate::Count,
        };
        let window = match (caps.name("win"), &aggregate) {
            (Some(w), _) => {
                moment::parse_width(w.as_str()).ok_or_else(|| format!("rule {text:?}: a window such as 5m"))?
            }
            (None, Aggregate::ZScore { width, .. }) => *width,
            (None, _) => return Err(format!("rule {text:?}: say over what time: ... within 5m")),
        };
        Ok(Rule {
            name: caps["name"].to_string(),
            conditions,
            aggregate,
            threshold: caps["thr"].parse().expect("the grammar's number"),
            at_least: &caps["op"] == ">=",
            window: window * 1_000_000_000,
            by: caps.name("by").map_or(Vec::new(), |b| b.as_str().split(',').map(String::from).collect()),
            text: text.trim().to_string(),
        })
    }

    /// Reads a rules file: one rule a line, `#` comments and blank lines skipped.
    pub fn parse_file(text: &str, name: &str) -> std::result::Result<Vec<Rule>, String> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(i, l)| Rule::parse(l).map_err(|e| format!("{name}:{}: {e}", i + 1)))
            .collect()
    }

    fn holds(&self, value: f64) -> bool {
        if self.at_least {
            value >= self.threshold
        } else {
            value > self.threshold
        }
    }
}

/// A key's window: what happened within the rule's duration, oldest first.
struct Window {
    /// Times (UTC nanoseconds) with how many events at each.
    events: VecDeque<(i128, u64)>,
    count: u64,
    /// For a percentile: the values in the window, as a multiset, and each event's value.
    values: BTreeMap<i128, u64>,
    valued: VecDeque<(i128, i128, u64)>,
    /// For a z-score: the counts of the previous buckets, the current bucket and its count.
    history: VecDeque<u64>,
    bucket: Option<i64>,
    bucket_count: u64,
    /// The time of the current bucket's first record.
    bucket_first: i128,
    /// Whether the rule may fire (it does not hold now, or has not yet).
    armed: bool,
    /// When it last fired (for `--repeat`).
    fired: i128,
    /// The newest time seen for this key.
    newest: i128,
}

/// How a rule stands for one key after a record: the value, and the first and last time in the
/// window.
struct Measure {
    value: f64,
    first: i128,
    last: i128,
}

impl Default for Window {
    /// An empty window, armed: a key never seen.
    fn default() -> Window {
        Window {
            events: VecDeque::new(),
            count: 0,
            values: BTreeMap::new(),
            valued: VecDeque::new(),
            history: VecDeque::new(),
            bucket: None,
            bucket_count: 0,
            bucket_first: 0,
            armed: true,
            fired: i128::MIN,
            newest: i128::MIN,
        }
    }
}

impl Window {
    /// Drops what is at or before `end − window`.
    fn evict(&mut self, end: i128, window: i128) {
        while let Some(&(t, n)) = self.events.front() {
            if t > end - window {
                break;
            }
            self.events.pop_front();
            self.count -= n;
        }
        while let Some(&(t, v, n)) = self.valued.front() {
            if t > end - window {
                break;
            }
            self.valued.pop_front();
            if let Some(c) = self.values.get_mut(&v) {
                *c -= n;
                if *c == 0 {
                    self.values.remove(&v);
                }
            }
        }
    }

    /// The value of the rule's aggregate now, before or after adding a record.
    fn measure(&self, rule: &Rule) -> Option<Measure> {
        let first = self.events.front().map_or(self.newest, |e| e.0);
        let value = match &rule.aggregate {
            Aggregate::Count => self.count as f64,
            Aggregate::Percentile { p, .. } => {
                let n: u64 = self.values.values().sum();
                if n == 0 {
                    return None;
                }
                // Nearest rank, walked from the top: a high percentile is near it.
                let rank = (u64::from(*p) * n).div_ceil(100).max(1);
                let mut above = n - rank;
                let mut found = 0;
                for (&v, &c) in self.values.iter().rev() {
                    if above < c {
                        found = v;
                        break;
                    }
                    above -= c;
                }
                found as f64 / 1e9
            }
            Aggregate::ZScore { .. } => {
                if self.history.len() < MIN_HISTORY {
                    return None;
                }
                let k = self.history.len() as f64;
                let mean = self.history.iter().sum::<u64>() as f64 / k;
                let var = self.history.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / k;
                if var == 0.0 {
                    return None;
                }
                let z = (self.bucket_count as f64 - mean) / var.sqrt();
                return Some(Measure { value: z, first: self.bucket_first, last: self.newest });
            }
        };
        Some(Measure { value, first, last: self.newest })
    }
}

/// How a run reads and where its alerts go.
#[derive(Clone, Debug, Default)]
pub struct AlertOptions {
    pub rules: Vec<Rule>,
    pub format: Format,
    pub unit: DurationUnit,
    pub year: Option<i64>,
    pub zone: Zone,
    /// A command run for each alert (`sh -c`), the alert on its standard input.
    pub exec: Option<String>,
    /// Addresses mailed for each alert through `sendmail -t -oi`.
    pub mail: Vec<String>,
    /// The sendmail program (`sendmail` from PATH, then /usr/sbin/sendmail).
    pub sendmail: Option<String>,
    /// Records older than the newest by more than this (nanoseconds) get a warning.
    pub lateness: i128,
    /// While a rule keeps holding for a key, fire again after this long (nanoseconds, of the
    /// records' time).
    pub repeat: Option<i128>,
    /// Mail alerts in a digest at most this often rather than one by one (`--mail-every`).
    pub mail_every: Option<std::time::Duration>,
    pub max_line: usize,
}

/// What a run says besides its alerts.
#[derive(Debug, Default)]
pub struct Outcome {
    pub alerts: u64,
    pub warnings: Vec<String>,
}

struct Engine<'a> {
    opts: &'a AlertOptions,
    /// The fields each rule needs, as indexes into `fields`.
    plans: Vec<Plan>,
    /// Per rule, a window per key: the key fields, each prefixed with its length
    /// ([`push_key_field`]), so that a record allocates nothing unless its key is new. foldhash,
    /// seeded at random, as the counters': keys come from logs anyone writes.
    windows: Vec<HashMap<Box<[u8]>, Window, foldhash::fast::RandomState>>,
    /// The key of the record being watched, reused from record to record.
    key: Vec<u8>,
    newest: i128,
    late: u64,
    timeless: u64,
    alerts: u64,
    out: &'a mut dyn Write,
    warnings: Vec<String>,
    /// Records read, for the sweeps of idle keys.
    seen: u64,
    /// Where mails go when they are sent in digests (`--mail-every`).
    digest: Option<std::sync::mpsc::Sender<(String, String)>>,
}

struct Plan {
    conditions: Vec<usize>,
    by: Vec<usize>,
    value: Option<usize>,
}

/// Indexes of the fields every run reads first.
const TIME: usize = 0;
const LINE: usize = 1;
const FILE: usize = 2;
const REPEAT: usize = 3;

impl Engine<'_> {
    /// Forgets the keys that nothing happened to for longer than their rule looks back: memory
    /// follows the keys active now, not every address ever seen. A forgotten key starts again as
    /// it would have: an empty window, armed.
    fn expire(&mut self) {
        for (rule, windows) in self.opts.rules.iter().zip(&mut self.windows) {
            let horizon = match rule.aggregate {
                Aggregate::ZScore { width, last } => i128::from(width) * 1_000_000_000 * (last as i128 + 1),
                _ => i128::from(rule.window),
            };
            windows.retain(|_, w| w.newest > self.newest - horizon);
        }
    }

    fn record(&mut self, fields: &Fields, clock: &mut Clock, number: u64, file: &str) -> Result<()> {
        let mut key = std::mem::take(&mut self.key);
        let result = self.watch(fields, clock, number, file, &mut key);
        self.key = key;
        result
    }

    /// Counts a record in the window of each rule it passes, and fires what crosses.
    fn watch(&mut self, fields: &Fields, clock: &mut Clock, number: u64, file: &str, key: &mut Vec<u8>) -> Result<()> {
        let Some(m) = fields.get(TIME).and_then(moment::parse_time) else {
            self.timeless += 1;
            return Ok(());
        };
        let (secs, nanos) = clock.instant(&m);
        let t = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        if t < self.newest - self.opts.lateness {
            self.late += 1;
        }
        self.newest = self.newest.max(t);
        let n = fields
            .get(REPEAT)
            .and_then(|r| std::str::from_utf8(r).ok()?.parse::<u64>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        for (r, rule) in self.opts.rules.iter().enumerate() {
            let plan = &self.plans[r];
            if !rule.conditions.iter().zip(&plan.conditions).all(|(c, &i)| c.holds(fields.get(i))) {
                continue;
            }
            key.clear();
            if !plan.by.iter().all(|&i| fields.get(i).map(|v| push_key_field(key, v)).is_some()) {
                continue;
            }
            let value = match plan.value {
                Some(i) => match fields.get(i).and_then(parse_number) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            let windows = &mut self.windows[r];
            if !windows.contains_key(key.as_slice()) {
                windows.insert(key.as_slice().into(), Window::default());
            }
            let window = windows.get_mut(key.as_slice()).expect("a window for every key");
            let end = window.newest.max(t);
            window.newest = end;
            window.evict(end, i128::from(rule.window));
            if let Aggregate::ZScore { width, last } = rule.aggregate {
                let bucket = (t / 1_000_000_000).div_euclid(i128::from(width)) as i64;
                match window.bucket {
                    Some(b) if bucket > b => {
                        window.history.push_back(window.bucket_count);
                        for _ in 0..(bucket - b - 1).min(last as i64) {
                            window.history.push_back(0);
                        }
                        while window.history.len() > last {
                            window.history.pop_front();
                        }
                        window.bucket = Some(bucket);
                        window.bucket_count = 0;
                        window.bucket_first = t;
                    }
                    Some(_) => {}
                    None => {
                        window.bucket = Some(bucket);
                        window.bucket_first = t;
                    }
                }
            }
            // The rule may fire again once it has stopped holding.
            if !window.armed && !window.measure(rule).is_some_and(|m| rule.holds(m.value)) {
                window.armed = true;
            }
            match window.events.back_mut() {
                Some(last) if last.0 == t => last.1 += n,
                _ => {
                    let at = window.events.partition_point(|e| e.0 <= t);
                    window.events.insert(at, (t, n));
                }
            }
            window.count += n;
            window.bucket_count += n;
            if let Some(v) = value {
                *window.values.entry(v).or_default() += n;
                let at = window.valued.partition_point(|e| e.0 <= t);
                window.valued.insert(at, (t, v, n));
            }
            let Some(measure) = window.measure(rule) else { continue };
            // Still holding: fires again once --repeat has passed since it last did.
            let again = self.opts.repeat.is_some_and(|r| t - window.fired >= r);
            if (window.armed || again) && rule.holds(measure.value) {
                window.armed = false;
                window.fired = t;
                let line = fields.get(LINE).and_then(|l| std::str::from_utf8(l).ok()?.parse().ok()).unwrap_or(number);
                let file = fields.get(FILE).map_or(file.to_string(), |f| String::from_utf8_lossy(f).into_owned());
                self.fire(rule, &decode_key(key), &measure, line, &file)?;
            }
        }
        Ok(())
    }

    /// Writes an alert, and runs its command and mails it when asked.
    fn fire(&mut self, rule: &Rule, key: &[&[u8]], m: &Measure, line: u64, file: &str) -> Result<()> {
        self.alerts += 1;
        // Written in this order (serde_json's map would sort the keys): the rule, its key, what
        // crossed the threshold, then where.
        let mut alert: Vec<(String, serde_json::Value)> = vec![("rule".into(), rule.name.clone().into())];
        for (name, value) in rule.by.iter().zip(key) {
            let name = if ["rule", "threshold", "first", "last", "line", "file"].contains(&name.as_str()) {
                format!("key_{name}")
            } else {
                name.clone()
            };
            alert.push((name, String::from_utf8_lossy(value).into_owned().into()));
        }
        let (measure_name, value) = match &rule.aggregate {
            Aggregate::Count => ("count".to_string(), serde_json::Value::from(m.value as u64)),
            Aggregate::Percentile { p, .. } => (format!("p{p}"), number_value(m.value)),
            Aggregate::ZScore { .. } => ("zscore".to_string(), number_value((m.value * 1000.0).round() / 1000.0)),
        };
        alert.push((measure_name, value));
        alert.push(("threshold".into(), number_value(rule.threshold)));
        alert.push(("first".into(), time_text(m.first).into()));
        alert.push(("last".into(), time_text(m.last).into()));
        alert.push(("line".into(), line.into()));
        alert.push(("file".into(), file.into()));
        let mut text = Vec::new();
        for (i, (k, v)) in alert.iter().enumerate() {
            text.push(if i == 0 { b'{' } else { b',' });
            serde_json::to_writer(&mut text, k)
                .and_then(|()| {
                    text.push(b':');
                    serde_json::to_writer(&mut text, v)
                })
                .map_err(|e| Error::Failed(e.to_string()))?;
        }
        text.extend_from_slice(b"}\n");
        // Each alert is passed on at once: it is news.
        self.out.write_all(&text).and_then(|()| self.out.flush()).map_err(Error::output)?;
        let key_text = key.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>().join(",");
        if let Some(cmd) = &self.opts.exec {
            let status = Command::new("sh")
                .args(["-c", cmd])
                .env("TICKY_RULE", &rule.name)
                .env("TICKY_KEY", &key_text)
                .env("TICKY_VALUE", format!("{}", m.value))
                .env("TICKY_THRESHOLD", format!("{}", rule.threshold))
                .stdin(Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    if let Some(mut stdin) = child.stdin.take() {
                        let _ = stdin.write_all(&text);
                    }
                    child.wait()
                });
            match status {
                Ok(s) if s.success() => {}
                Ok(s) => self.warnings.push(format!("--exec for rule {} ended with {s}", rule.name)),
                Err(e) => return Err(Error::io("cannot run the --exec command".to_string(), e)),
            }
        }
        if !self.opts.mail.is_empty() {
            self.mail(rule, &key_text, &alert)?;
        }
        Ok(())
    }

    /// Mails an alert as plain text, now or in the next digest. Values from the log lose their
    /// control characters: a key with a newline cannot add a header.
    fn mail(&mut self, rule: &Rule, key: &str, alert: &[(String, serde_json::Value)]) -> Result<()> {
        let subject =
            if key.is_empty() { clean(&rule.name) } else { format!("{} ({})", clean(&rule.name), clean(key)) };
        let mut body = format!("The rule {}\n  {}\nholds:\n\n", clean(&rule.name), clean(&rule.text));
        for (k, v) in alert {
            let v = match v {
                serde_json::Value::String(s) => clean(s),
                other => other.to_string(),
            };
            body += &format!("  {k}: {v}\n");
        }
        match &self.digest {
            Some(digest) => {
                let _ = digest.send((subject, body));
                Ok(())
            }
            None => match send_mail(self.opts, &subject, &body) {
                Ok(Some(warning)) => {
                    self.warnings.push(warning);
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
        }
    }
}

/// Text from the log, fit for a mail: control characters as spaces.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Sends one mail through sendmail; a warning when sendmail refused it.
fn send_mail(opts: &AlertOptions, subject: &str, body: &str) -> Result<Option<String>> {
    let message = format!(
        "To: {}\nSubject: ticky-alert: {subject}\nContent-Type: text/plain; charset=utf-8\n\n{body}",
        opts.mail.join(", ")
    );
    let program = opts.sendmail.clone().unwrap_or_else(|| "sendmail".to_string());
    let run = |program: &str| {
        Command::new(program).args(["-t", "-oi"]).stdin(Stdio::piped()).spawn().and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(message.as_bytes())?;
            }
            child.wait()
        })
    };
    let status = match run(&program) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && opts.sendmail.is_none() => run("/usr/sbin/sendmail"),
        other => other,
    };
    match status {
        Ok(s) if s.success() => Ok(None),
        Ok(s) => Ok(Some(format!("sendmail ended with {s}: a mail ({subject}) was not sent"))),
        Err(e) => Err(Error::io(
            "cannot run sendmail for --mail (install an MTA: postfix, exim, msmtp-mta, nullmailer)".to_string(),
            e,
        )),
    }
}

/// Sends the alerts it is given in digests, one per `every` at most: the first alert starts the
/// clock, the digest goes when it runs out, and what is left when the input ends goes then.
/// Returns what should be said.
fn digests(
    opts: &AlertOptions,
    every: std::time::Duration,
    alerts: std::sync::mpsc::Receiver<(String, String)>,
) -> Vec<String> {
    use std::sync::mpsc::RecvTimeoutError;
    let mut warnings = Vec::new();
    while let Ok(first) = alerts.recv() {
        let deadline = std::time::Instant::now() + every;
        let mut batch = vec![first];
        let mut ended = false;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match alerts.recv_timeout(left) {
                Ok(alert) => batch.push(alert),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    ended = true;
                    break;
                }
            }
        }
        let subject = match batch.len() {
            1 => batch[0].0.clone(),
            n => {
                let mut names: Vec<&str> = batch.iter().map(|(s, _)| s.as_str()).collect();
                names.dedup();
                format!("{n} alerts: {}", names.join(", "))
            }
        };
        let body = batch.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>().join("\n");
        match send_mail(opts, &subject, &body) {
            Ok(Some(w)) => warnings.push(w),
            Ok(None) => {}
            Err(e) => warnings.push(e.to_string()),
        }
        if ended {
            break;
        }
    }
    warnings
}

fn number_value(v: f64) -> serde_json::Value {
    let mut text = Vec::new();
    write_approx(&mut text, v);
    serde_json::from_slice(&text).unwrap_or(serde_json::Value::Null)
}

/// An instant in nanoseconds as ISO 8601 in UTC.
fn time_text(t: i128) -> String {
    let secs = t.div_euclid(1_000_000_000) as i64;
    let nanos = t.rem_euclid(1_000_000_000);
    let mut out = Vec::new();
    moment::write_time(secs, Some(0), &mut out);
    let mut text = String::from_utf8(out).expect("ASCII");
    if nanos != 0 {
        let mut frac = Vec::new();
        write_exact(&mut frac, nanos);
        // write_exact of nanoseconds as billionths gives "0.xxx".
        let frac = String::from_utf8(frac).expect("ASCII");
        text.insert_str(19, frac.trim_start_matches('0'));
    }
    text
}

/// Reads every input and writes the alerts to `out` as they fire.
pub fn run(opts: &AlertOptions, paths: &[String], out: &mut dyn Write) -> Result<Outcome> {
    let mut names: Vec<String> = ["time", "line", "file", "repeat"].map(String::from).to_vec();
    let mut field = |name: &str| match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    };
    let plans: Vec<Plan> = opts
        .rules
        .iter()
        .map(|rule| Plan {
            conditions: rule.conditions.iter().map(|c| field(&c.field)).collect(),
            by: rule.by.iter().map(|f| field(f)).collect(),
            value: match &rule.aggregate {
                Aggregate::Percentile { field: f, .. } => Some(field(f)),
                _ => None,
            },
        })
        .collect();
    let keys: Vec<Option<Key>> = names.iter().map(|n| Key::from_name(n.as_bytes())).collect();
    let mut engine = Engine {
        opts,
        plans,
        windows: opts.rules.iter().map(|_| HashMap::default()).collect(),
        key: Vec::new(),
        newest: i128::MIN / 2,
        late: 0,
        timeless: 0,
        alerts: 0,
        out,
        warnings: Vec::new(),
        seen: 0,
        digest: None,
    };
    let mut fields = Fields::new(names.clone());
    let mut clock = Clock::new(opts.zone.clone());
    let mut scratch = record::Scratch::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let mailer = match (opts.mail_every, opts.mail.is_empty()) {
        (Some(every), false) => {
            engine.digest = Some(tx);
            Some(std::thread::spawn({
                let opts = opts.clone();
                move || digests(&opts, every, rx)
            }))
        }
        _ => None,
    };
    for path in paths {
        let input = input::open(path)?;
        let mut year = Year::for_input(opts.year, input.modified);
        let name = input.name.clone();
        let mut lines = LineReader::new(input.reader, &name);
        lines.set_max_line(input::record_limit(opts.max_line));
        let mut kind = opts.format.kind(opts.unit);
        read_lines(
            &mut lines,
            &name,
            &mut kind,
            opts,
            &keys,
            &names,
            &mut fields,
            &mut clock,
            &mut year,
            &mut scratch,
            &mut engine,
        )?;
    }
    let mut warnings = std::mem::take(&mut engine.warnings);
    // The input ended: the last digest goes now.
    engine.digest = None;
    if let Some(mailer) = mailer {
        warnings.extend(mailer.join().unwrap_or_default());
    }
    if engine.timeless > 0 {
        warnings.push(format!("{} records without a time that reads as ISO 8601 were not watched", engine.timeless));
    }
    if engine.late > 0 {
        warnings.push(format!(
            "{} records came later than --lateness after newer ones: counted in their windows",
            engine.late
        ));
    }
    Ok(Outcome { alerts: engine.alerts, warnings })
}

#[allow(clippy::too_many_arguments)]
fn read_lines<R: Read>(
    lines: &mut LineReader<R>,
    name: &str,
    kind: &mut Option<Kind>,
    opts: &AlertOptions,
    keys: &[Option<Key>],
    names: &[String],
    fields: &mut Fields,
    clock: &mut Clock,
    year: &mut Year,
    scratch: &mut record::Scratch,
    engine: &mut Engine<'_>,
) -> Result<()> {
    while let Some(l) = lines.next_line_info()? {
        let (number, line, cut) = (l.number, l.text, l.cut);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let k = match *kind {
            Some(k) => k,
            None => *kind.insert(tell_kind(line, name, number, opts.unit)?),
        };
        match k {
            Kind::JsonLines => {
                if let Some(length) = cut {
                    return Err(crate::count::record_too_long(name, number, length, lines.max_line(), true));
                }
                fields.read(line).map_err(|msg| Error::input(name, number, msg))?;
            }
            Kind::Raw(format) => {
                let (line, cut) = input::cut_line(line, cut, opts.max_line);
                let mut record = Record::parse_as(format, line, year, scratch);
                record.cut = cut;
                fields.begin_record();
                for (i, key) in keys.iter().enumerate() {
                    match *key {
                        Some(key) => fields.fill(i, |out| record.value(key, None, number, year, out)),
                        None => fields.fill(i, |out| record.other(names[i].as_bytes(), out)),
                    }
                }
            }
        }
        engine.record(fields, clock, number, name)?;
        engine.seen += 1;
        if engine.seen % EXPIRE_EVERY == 0 {
            engine.expire();
        }
    }
    Ok(())
}

/// Records between two sweeps of idle keys.
const EXPIRE_EVERY: u64 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_as_written() {
        let r = Rule::parse("brute force: auth=failure count > 5 within 5m by ip").unwrap();
        assert_eq!(
            (r.name.as_str(), r.conditions.len(), r.threshold, r.window),
            ("brute force", 1, 5.0, 300_000_000_000)
        );
        assert_eq!(r.by, ["ip"]);
        let r = Rule::parse("slow: p95(duration_ms) > 2000 within 5m by path").unwrap();
        assert_eq!(r.aggregate, Aggregate::Percentile { p: 95, field: "duration_ms".into() });
        let r = Rule::parse("spike: level=ERROR zscore(count per 1m, last 60) > 3").unwrap();
        assert_eq!(r.aggregate, Aggregate::ZScore { width: 60, last: 60 });
        for bad in [
            "count > 5 within 5m",
            "x: count > 5",
            "x: count > five within 5m",
            "x: p0(a) > 1 within 1m",
            "x: a count > 1 within 1m",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }
}
