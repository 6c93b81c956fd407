//! A deterministic generator of syslog in the ticky service's format, mixed with other daemons, or
//! of a web server's access log; on request, with the damage real logs carry. It knows the true counts of what it wrote, so tests
//! can check the tools against them, and it feeds the benchmark.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenOptions {
    pub lines: u64,
    pub seed: u64,
    /// Mix in malformed ticky lines, lines without a header, invalid UTF-8, NUL bytes, CRLF
    /// endings, RFC 3339 and RFC 5424 headers, hostile user names, and leave the last line without
    /// its newline.
    pub messy: bool,
    pub format: GenFormat,
}

/// What kind of log to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GenFormat {
    /// The ticky service's lines among other daemons'.
    #[default]
    Syslog,
    /// A web server's access log: nginx's combined format with `$request_time`.
    Combined,
    /// sshd's authentication lines, with some of sudo's and su's.
    Sshd,
    /// Python's logging in its common layouts.
    Python,
    /// An application's JSON log.
    Json,
}

/// The true counts of a generated log, as the records of `ticky-parse` should show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Truth {
    pub lines: u64,
    /// ERROR lines per error message.
    pub errors: BTreeMap<String, u64>,
    /// (INFO, ERROR) lines per user.
    pub users: BTreeMap<String, (u64, u64)>,
    /// Lines ticky-parse cannot fully understand.
    pub not_understood: u64,
    /// Of an access log: requests per status, per path (without the query), per client address,
    /// and the request times (milliseconds, whole) per path.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<u16, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ips: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub durations_ms: BTreeMap<String, Vec<u64>>,
    /// Of an sshd log: failed attempts per address (a repeated message counting its repeats), and
    /// successful logins (sshd, sudo, su) per account.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub successes: BTreeMap<String, u64>,
    /// Of an application's log (Python, JSON): lines per level, and request times (ms) per logger.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, u64>,
    /// ERROR lines per hour, by the hour's start as written (`2025-01-31T05:00:00`, with `+00:00`
    /// for lines with an RFC 3339 time), and requests of an access log per hour.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_per_hour: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requests_per_hour: BTreeMap<String, u64>,
}

/// SplitMix64: tiny, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub const ERRORS: [&str; 6] = [
    "Timeout while retrieving information",
    "Connection to DB failed",
    "Tried to add information to closed ticket",
    "Permission denied while closing ticket",
    "The ticket was modified while updating",
    "Ticket doesn't exist",
];
const INFOS: [&str; 3] = ["Created ticket", "Closed ticket", "Commented on ticket"];
const USERS: [&str; 20] = [
    "ac",
    "ahmed.miller",
    "blossom",
    "bpacheco",
    "breee",
    "britanni",
    "enim.non",
    "flavia",
    "jackowens",
    "kirknixon",
    "mai.hendrix",
    "mcintosh",
    "mdouglas",
    "montanap",
    "noel",
    "nonummy",
    "oren",
    "rr.robinson",
    "sri",
    "xlg",
];
const HOSTILE_USERS: [&str; 5] =
    ["o'brien", "<script>alert(1)</script>", "=HYPERLINK(\"http://x\",\"y\")", "smith, john", "zoë"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A clock that moves forward a few seconds per line through a year (2025, not a leap year).
struct Clock {
    month: usize,
    day: u32,
    second: u32,
}

impl Clock {
    fn tick(&mut self, rng: &mut Rng) {
        self.second += rng.below(3) as u32;
        if self.second >= 86_400 {
            self.second -= 86_400;
            self.day += 1;
            if self.day > crate::time::days_in_month(2025, self.month as u8 + 1).into() {
                self.day = 1;
                self.month = (self.month + 1) % 12;
            }
        }
    }

    /// The start of the current hour, as ticky-count's `--by time/1h` writes it.
    fn hour(&self, offset: bool) -> String {
        let zone = if offset { "+00:00" } else { "" };
        format!("2025-{:02}-{:02}T{:02}:00:00{zone}", self.month + 1, self.day, self.second / 3600)
    }

    fn hms(&self) -> (u32, u32, u32) {
        (self.second / 3600, self.second / 60 % 60, self.second % 60)
    }

    /// `Jan 31 00:09:39` (day space-padded), or `2025-01-31T00:09:39.123456+00:00`.
    fn write(&self, out: &mut Vec<u8>, rfc3339: bool) {
        let (h, m, s) = self.hms();
        if rfc3339 {
            let _ = write!(
                out,
                "2025-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{:06}+00:00",
                self.month + 1,
                self.day,
                (h * 7919 + s) % 1_000_000
            );
        } else {
            let _ = write!(out, "{} {:>2} {h:02}:{m:02}:{s:02}", MONTHS[self.month], self.day);
        }
    }
}

/// Writes `opts.lines` lines to `out` and returns their true counts.
pub fn generate(opts: &GenOptions, out: &mut impl Write) -> io::Result<Truth> {
    let mut rng = Rng(opts.seed);
    let mut clock = Clock { month: 0, day: 31, second: 0 };
    let mut truth = Truth { lines: opts.lines, ..Truth::default() };
    let mut line = Vec::with_capacity(256);
    for n in 0..opts.lines {
        line.clear();
        clock.tick(&mut rng);
        let roll = rng.below(100);
        if opts.format == GenFormat::Combined {
            access_line(&mut line, &mut rng, &clock, opts.messy, &mut truth);
        } else if opts.format == GenFormat::Sshd {
            sshd_line(&mut line, &mut rng, &clock, opts.messy, &mut truth);
        } else if opts.format == GenFormat::Python || opts.format == GenFormat::Json {
            app_line(&mut line, &mut rng, &clock, opts, &mut truth);
        } else if opts.messy {
            messy_line(&mut line, &mut rng, &clock, roll, &mut truth);
        } else if roll < 90 {
            ticky_line(&mut line, &mut rng, &clock, false, USERS.len(), &mut truth);
        } else {
            daemon_line(&mut line, &mut rng, &clock, roll, false);
        }
        let last = n + 1 == opts.lines;
        if !(opts.messy && last) {
            if opts.messy && rng.below(20) == 0 {
                line.push(b'\r');
            }
            line.push(b'\n');
        }
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(truth)
}

const PATHS: [&str; 12] = [
    "/",
    "/login",
    "/logout",
    "/api/tickets",
    "/api/tickets/search",
    "/api/users",
    "/static/app.js",
    "/static/style.css",
    "/favicon.ico",
    "/robots.txt",
    "/admin",
    "/wp-login.php",
];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.31.0",
];

/// One line of nginx's combined format with `$request_time` last; messy adds scanners' requests,
/// lines that are no access log line, hostile agents and quotes.
fn access_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, messy: bool, truth: &mut Truth) {
    if messy && rng.below(50) == 0 {
        truth.not_understood += 1;
        line.extend_from_slice(b"2025/01/31 00:09:39 [error] 1234#0: *5 open() failed (2: No such file)");
        return;
    }
    let ip = format!("{}.{}.{}.{}", 10 + rng.below(3), rng.below(4), rng.below(8), 1 + rng.below(40));
    let (h, m, s) = clock.hms();
    let user = if rng.below(10) == 0 { *rng.pick(&USERS) } else { "-" };
    let _ = write!(line, "{ip} - {user} [{:02}/{}/2025:{h:02}:{m:02}:{s:02} +0000] \"", clock.day, MONTHS[clock.month]);
    let path = *rng.pick(&PATHS);
    let status: u16 = match rng.below(100) {
        0..=79 => 200,
        80..=84 => 304,
        85..=89 => 404,
        90..=94 => 401,
        95..=97 => 302,
        _ => 500,
    };
    let scanner = messy && rng.below(40) == 0;
    if scanner {
        // What a TLS handshake on the plain port looks like, as nginx escapes it: no method, no path.
        line.extend_from_slice(b"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03");
    } else {
        let method = if path == "/login" && rng.below(2) == 0 { "POST" } else { "GET" };
        let _ = write!(line, "{method} {path}");
        if path.starts_with("/api/tickets") && rng.below(3) == 0 {
            let _ = write!(line, "?page={}&q=a%20b", rng.below(5));
        }
        line.extend_from_slice(b" HTTP/1.1");
        *truth.paths.entry(path.to_string()).or_default() += 1;
    }
    let status = if scanner { 400 } else { status };
    *truth.statuses.entry(status).or_default() += 1;
    *truth.ips.entry(ip).or_default() += 1;
    *truth.requests_per_hour.entry(clock.hour(true)).or_default() += 1;
    let _ = write!(line, "\" {status} ");
    if status == 304 {
        line.push(b'-');
    } else {
        let _ = write!(line, "{}", 100 + rng.below(50_000));
    }
    let referer = if rng.below(3) == 0 { "https://tickets.example.com/" } else { "-" };
    let agent = if messy && rng.below(30) == 0 { r#"evil \"agent\" <script>"# } else { *rng.pick(&AGENTS) };
    let ms = rng.below(40) * rng.below(40) + u64::from(status == 500) * 3000;
    let _ = write!(line, " \"{referer}\" \"{agent}\" {}.{:03}", ms / 1000, ms % 1000);
    if !scanner {
        truth.durations_ms.entry(path.to_string()).or_default().push(ms);
    }
}

const LEVELS: [&str; 4] = ["DEBUG", "INFO", "WARNING", "ERROR"];
const LOGGERS: [&str; 4] = ["app.db", "app.web", "app.jobs", "root"];

/// One line of an application's log: Python's logging in its layouts (Django's verbose,
/// basicConfig's, logging's default), or a JSON object as structured loggers write it; some
/// messages say how long they took. Messy adds traceback lines (Python) and broken objects (JSON).
fn app_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, opts: &GenOptions, truth: &mut Truth) {
    if opts.messy && rng.below(25) == 0 {
        truth.not_understood += 1;
        let text: &[u8] = if opts.format == GenFormat::Python {
            b"  File \"/srv/app/db.py\", line 42, in connect"
        } else {
            b"{\"level\":\"ERROR\",\"msg\":\"cut short"
        };
        line.extend_from_slice(text);
        return;
    }
    let level = *rng.pick(&LEVELS);
    let logger = *rng.pick(&LOGGERS);
    *truth.levels.entry(level.to_string()).or_default() += 1;
    let (h, m, s) = clock.hms();
    let ms = rng.below(1000);
    let message = match (rng.below(3) == 0, opts.messy && rng.below(10) == 0) {
        (true, _) => {
            let n = rng.below(5000);
            truth.durations_ms.entry(logger.to_string()).or_default().push(n);
            format!("query done, took {n}ms")
        }
        (false, true) => "user \"zoë\" <script> said: ok, fine".to_string(),
        (false, false) => format!("ticket {} updated", 1000 + rng.below(9000)),
    };
    let time = format!("2025-{:02}-{:02} {h:02}:{m:02}:{s:02},{ms:03}", clock.month + 1, clock.day);
    let _ = if opts.format == GenFormat::Json {
        let message = serde_json::to_string(&message).unwrap_or_default();
        write!(
            line,
            r#"{{"time":"{}","level":"{level}","logger":"{logger}","msg":{message},"pid":{}}}"#,
            time.replace(' ', "T").replace(',', "."),
            100 + rng.below(5)
        )
    } else {
        match rng.below(3) {
            0 => write!(
                line,
                "{level} {time} {} {} {} {message}",
                logger.rsplit('.').next().unwrap_or(logger),
                100 + rng.below(5),
                1 + rng.below(9)
            ),
            1 => write!(line, "{time} - {logger} - {level} - {message}"),
            _ => write!(line, "{level}:{logger}:{message}"),
        }
    };
}

const LOGINS: [&str; 6] = ["root", "admin", "test", "oracle", "ubuntu", "git"];

/// One line of sshd (or sudo, su) as a server under password guessing logs them; messy adds account
/// names made to look like an address (`root from 6.6.6.6 port 1`) and with spaces.
fn sshd_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, messy: bool, truth: &mut Truth) {
    clock.write(line, false);
    let pid = 1000 + rng.below(30_000);
    let ip = match rng.below(10) {
        0 => format!("2001:db8::{:x}", 1 + rng.below(5)),
        1..=3 => format!("198.51.100.{}", 1 + rng.below(10)),
        _ => format!("203.0.113.{}", 1 + rng.below(30)),
    };
    let port = 1024 + rng.below(60_000);
    let login = match rng.below(if messy { 12 } else { 10 }) {
        10 => "root from 6.6.6.6 port 1".to_string(),
        11 => "a b".to_string(),
        _ => rng.pick(&LOGINS).to_string(),
    };
    let invalid = if login == "root" || login == "git" { "" } else { "invalid user " };
    let _ = match rng.below(100) {
        0..=34 => {
            *truth.failures.entry(ip.clone()).or_default() += 1;
            write!(line, " srv sshd[{pid}]: Failed password for {invalid}{login} from {ip} port {port} ssh2")
        }
        35..=44 => {
            let n = 2 + rng.below(4);
            *truth.failures.entry(ip.clone()).or_default() += n;
            write!(
                line,
                " srv sshd[{pid}]: message repeated {n} times: [ Failed password for {invalid}{login} from {ip} port {port} ssh2]"
            )
        }
        45..=59 => write!(
            line,
            " srv sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={login}"
        ),
        60..=69 => write!(line, " srv sshd[{pid}]: Invalid user {login} from {ip} port {port}"),
        70..=79 => {
            let user = *rng.pick(&["alice", "bob", "deploy"]);
            *truth.successes.entry(user.to_string()).or_default() += 1;
            write!(line, " srv sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{pid:x}")
        }
        80..=89 => write!(line, " srv sshd[{pid}]: Connection closed by authenticating user {login} {ip} port {port} [preauth]"),
        90..=94 => {
            *truth.successes.entry("alice".to_string()).or_default() += 1;
            write!(line, " srv sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id")
        }
        95..=96 => write!(line, " srv su[{pid}]: FAILED SU (to root) bob on pts/1"),
        _ => write!(line, " srv sshd[{pid}]: Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"),
    };
}

fn messy_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, roll: u64, truth: &mut Truth) {
    match roll {
        0..=54 => {
            let every_user = USERS.len() + HOSTILE_USERS.len();
            ticky_line(line, rng, clock, true, every_user, truth);
        }
        55..=74 => daemon_line(line, rng, clock, roll, true),
        75..=79 => {
            truth.not_understood += 1;
            clock.write(line, false);
            line.extend_from_slice(b" ubuntu.local ticky: ");
            match roll {
                75 => line.extend_from_slice(b"Service started (version 2.1)"),
                76 => line.extend_from_slice(b"WARN Disk almost full (root)"),
                77 => line.extend_from_slice(b"ERROR Connection to DB failed"),
                78 => line.extend_from_slice(b"INFO Created ticket [#5896] (mcintosh"),
                _ => line.extend_from_slice(b"ERROR Timeout while retrieving information ()"),
            }
        }
        _ => {
            // No syslog header at all: printable noise, tabs, NUL bytes and invalid UTF-8.
            truth.not_understood += 1;
            line.push(b'#');
            for _ in 0..rng.below(60) {
                line.push(*rng.pick(b"abc xyz0123\t\x00\xff\xc3(\"\\{}[],"));
            }
        }
    }
}

fn ticky_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, messy: bool, users: usize, truth: &mut Truth) {
    let i = rng.below(users as u64) as usize;
    let user = if i < USERS.len() { USERS[i] } else { HOSTILE_USERS[i - USERS.len()] };
    let form = if messy { rng.below(20) } else { 10 };
    match form {
        0 => {
            // RFC 5424, as a modern relay forwards it.
            let _ = write!(line, "<134>1 ");
            clock.write(line, true);
            let _ = write!(line, " ubuntu.local ticky {} - - ", 1000 + rng.below(9000));
        }
        1..=4 => {
            clock.write(line, true);
            line.extend_from_slice(b" ubuntu.local ticky: ");
        }
        5 => {
            line.extend_from_slice(b"<14>");
            clock.write(line, false);
            line.extend_from_slice(b" ubuntu.local ticky: ");
        }
        _ => {
            clock.write(line, false);
            if rng.below(4) == 0 {
                let _ = write!(line, " ubuntu.local ticky[{}]: ", 1000 + rng.below(9000));
            } else {
                line.extend_from_slice(b" ubuntu.local ticky: ");
            }
        }
    }
    let counts = truth.users.entry(user.to_string()).or_default();
    if rng.below(10) < 4 {
        let _ = write!(line, "INFO {} [#{}] ({user})", rng.pick(&INFOS), 1000 + rng.below(9000));
        counts.0 += 1;
    } else {
        let error = if messy && rng.below(50) == 0 { "Failed to parse (json) body" } else { rng.pick(&ERRORS) };
        let _ = write!(line, "ERROR {error} ({user})");
        counts.1 += 1;
        *truth.errors.entry(error.to_string()).or_default() += 1;
        *truth.errors_per_hour.entry(clock.hour(form <= 4)).or_default() += 1;
    }
}

fn daemon_line(line: &mut Vec<u8>, rng: &mut Rng, clock: &Clock, roll: u64, messy: bool) {
    clock.write(line, messy && rng.below(4) == 0);
    let pid = 100 + rng.below(30_000);
    let _ = match roll % 4 {
        0 => {
            let _ = write!(line, " ubuntu.local sshd[{pid}]: Invalid user ");
            if messy && rng.below(3) == 0 {
                line.extend_from_slice(b"r\xf6\xffot");
            } else {
                line.extend_from_slice(b"admin");
            }
            write!(line, " from 10.0.{}.{} port {}", rng.below(256), rng.below(256), 1024 + rng.below(60_000))
        }
        1 => write!(line, " ubuntu.local CRON[{pid}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)"),
        2 => write!(
            line,
            " ubuntu.local kernel: [  {}.{:06}] usb 1-1: new high-speed USB device number {}",
            rng.below(99_999),
            rng.below(1_000_000),
            rng.below(20)
        ),
        _ => write!(line, " ubuntu.local systemd[1]: Started Session {} of User ubuntu.", rng.below(5000)),
    };
}
