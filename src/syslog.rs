//! Understanding one syslog line: its header (RFC 3164, RFC 3339 high precision, RFC 5424), its tag
//! and, for the ticky service, its payload. Everything here borrows from the line: nothing is
//! allocated.

use bstr::ByteSlice;

use crate::time::{self, BsdTime};

/// When a line was logged, as its header wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timestamp<'a> {
    /// RFC 3164: no year; the caller supplies or infers one.
    Bsd(BsdTime),
    /// RFC 3339 (and RFC 5424), kept as written: it is already ISO 8601.
    Iso(&'a [u8]),
    /// RFC 5424's NILVALUE `-`.
    Unknown,
}

/// The envelope of a line with a recognised syslog header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub time: Timestamp<'a>,
    pub host: Option<&'a [u8]>,
    pub program: Option<&'a [u8]>,
    pub pid: Option<u64>,
    /// From `<PRI>` (PRI / 8), or from BusyBox's `daemon.info` word: see [`FACILITIES`].
    pub facility: Option<u8>,
    /// From `<PRI>` (PRI % 8), or BusyBox's word: see [`SEVERITIES`].
    pub severity: Option<u8>,
    pub message: &'a [u8],
}

/// syslog(3)'s facility names, by number; 16 to 23 are `local0` to `local7`.
pub const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// syslog(3)'s severity names, by number.
pub const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// Parses the header of a syslog line, or returns `None` when the line has none that is recognised.
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let (pri, rest) = strip_pri(line)?;
    if pri.is_some() {
        if let Some(rest) = rest.strip_prefix(b"1 ") {
            return parse_rfc5424(rest, pri);
        }
    }
    // rsyslog accepts a space between `<PRI>` and the time (`<38> Mar  7 …`).
    let rest = if pri.is_some() { rest.strip_prefix(b" ").unwrap_or(rest) } else { rest };
    let (time, rest) = if rest.first().is_some_and(u8::is_ascii_digit) {
        let (token, rest) = split_word(rest);
        if !time::is_rfc3339(token) {
            return None;
        }
        (Timestamp::Iso(token), rest)
    } else {
        let (t, rest) = parse_bsd_time(rest)?;
        (Timestamp::Bsd(t), rest)
    };
    let (facility, severity) = match pri {
        Some(pri) => (Some((pri / 8) as u8), Some((pri % 8) as u8)),
        None => (None, None),
    };
    let (word, after) = split_word(rest);
    if word.is_empty() {
        return None;
    }
    // An RFC 3164 HOSTNAME has no `:`; a first word that ends in one is the tag of a line without
    // a host (`haproxy[73411]: …`, `mymachine: …`, BusyBox `syslogd -S`).
    let (host, rest) = if word.ends_with(b":") { (None, rest) } else { (Some(word), after) };
    let (mut program, mut pid, mut message, spaced) = parse_tag(rest);
    let (mut facility, mut severity) = (facility, severity);
    // BusyBox syslogd writes `facility.priority` after the host: `router daemon.info dnsmasq[1]: …`.
    // Its word ends at a space, so the tag was not found, or was taken for a name with spaces.
    if host.is_some() && (program.is_none() || spaced) {
        if let Some((f, s, rest)) = busybox_priority(rest) {
            (program, pid, message, _) = parse_tag(rest);
            (facility, severity) = (Some(f), Some(s));
        }
    }
    Some(Header { time, host, program, pid, facility, severity, message })
}

/// A leading `facility.severity` word of syslog(3) names (`daemon.info`, `local0.err`), and what
/// follows it.
fn busybox_priority(b: &[u8]) -> Option<(u8, u8, &[u8])> {
    let (word, rest) = split_word(b);
    let dot = word.find_byte(b'.')?;
    let facility = FACILITIES.iter().position(|f| f.as_bytes() == &word[..dot])?;
    let severity = match &word[dot + 1..] {
        b"panic" => 0,
        b"error" => 3,
        b"warn" => 4,
        s => SEVERITIES.iter().position(|n| n.as_bytes() == s)?,
    };
    Some((facility as u8, severity as u8, rest))
}

/// Strips an optional `<PRI>` (0–191) and returns its value; `None` when a `<` starts something that
/// is not a valid PRI.
fn strip_pri(line: &[u8]) -> Option<(Option<u32>, &[u8])> {
    let Some(rest) = line.strip_prefix(b"<") else {
        return Some((None, line));
    };
    let digits = rest.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || rest.get(digits) != Some(&b'>') {
        return None;
    }
    let pri: u32 = rest[..digits].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    (pri <= 191).then_some((Some(pri), &rest[digits + 1..]))
}

/// `Mmm dd hh:mm:ss ` with the day space-padded (`Jan  1`), zero-padded (`Jan 01`) or, as some
/// daemons write whole files, one digit after one space (`Nov 9`); the month in any case (`AUG`).
fn parse_bsd_time(b: &[u8]) -> Option<(BsdTime, &[u8])> {
    if b.len() < 15 || b[3] != b' ' {
        return None;
    }
    let month = time::month_number(&b[..3])?;
    let (day, b) = match (b[4], b[5]) {
        (d @ b'1'..=b'9', b' ') => (d - b'0', &b[6..]),
        (b' ' | b'0', d @ b'1'..=b'9') if b.len() >= 16 && b[6] == b' ' => (d - b'0', &b[7..]),
        (t @ b'1'..=b'3', d @ b'0'..=b'9') if b.len() >= 16 && b[6] == b' ' => ((t - b'0') * 10 + (d - b'0'), &b[7..]),
        _ => return None,
    };
    if day > time::days_in_month(2024, month) || b.get(8) != Some(&b' ') {
        return None;
    }
    let (hour, minute, second) = time::parse_hms(&b[..8])?;
    Some((BsdTime { month, day, hour, minute, second }, &b[9..]))
}

/// The word before the first space, and what follows that space.
fn split_word(b: &[u8]) -> (&[u8], &[u8]) {
    match crate::scan::find_any(b, [b' '; 3]) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// The longest program name with spaces in it (`Microsoft Word`) that a tag may have.
const MAX_SPACED_PROGRAM: usize = 48;

/// Splits `prog[pid]: message` into its parts. Without a recognisable tag the whole text is the
/// message (`last message repeated 3 times`). As macOS writes them, a name may hold spaces when a
/// numeric pid follows (`Microsoft Word[1234]:`), and a detail in parentheses may follow the pid
/// (`sandboxd[129] ([31211]):`); the detail is not part of the message. The last value says
/// whether the program's name has a space.
fn parse_tag(b: &[u8]) -> (Option<&[u8]>, Option<u64>, &[u8], bool) {
    let no_tag = (None, None, b, false);
    // More than one space after the host (`combo  -- root[2421]:`) is not part of the tag.
    let b = trim_start(b, b" ");
    let end = crate::scan::find_any(b, [b'[', b':', b' ']).unwrap_or(b.len());
    let spaced = b.get(end) == Some(&b' ');
    let end = match b.get(end) {
        Some(b' ') => match b.iter().position(|&c| matches!(c, b'[' | b':')) {
            Some(i) if b[i] == b'[' && i <= MAX_SPACED_PROGRAM => i,
            _ => return no_tag,
        },
        _ => end,
    };
    let program = &b[..end];
    let mut rest = &b[end..];
    let mut pid = None;
    if let Some(inner) = rest.strip_prefix(b"[") {
        // A pid is a few digits: a plain loop beats a call to memchr.
        let Some(close) = inner.iter().position(|&c| c == b']') else {
            return no_tag;
        };
        pid = parse_u64(&inner[..close]);
        if pid.is_none() && spaced {
            return no_tag;
        }
        rest = &inner[close + 1..];
        if let Some(detail) = rest.strip_prefix(b" (") {
            if let Some(close) = detail.find(b"):") {
                rest = &detail[close + 1..];
            }
        }
    }
    match rest.strip_prefix(b":") {
        Some(msg) if !program.is_empty() => (Some(program), pid, msg.strip_prefix(b" ").unwrap_or(msg), spaced),
        _ => no_tag,
    }
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
fn parse_rfc5424(b: &[u8], pri: Option<u32>) -> Option<Header<'_>> {
    let (ts, b) = split_word(b);
    let time = match ts {
        b"-" => Timestamp::Unknown,
        t if time::is_rfc3339(t) => Timestamp::Iso(t),
        _ => return None,
    };
    let nil = |w: &'_ [u8]| -> bool { w == b"-" || w.is_empty() };
    let (host, b) = split_word(b);
    let (app, b) = split_word(b);
    let (procid, b) = split_word(b);
    let (_msgid, b) = split_word(b);
    let message = skip_structured_data(b).unwrap_or(b);
    let message = message.strip_prefix("\u{feff}".as_bytes()).unwrap_or(message);
    Some(Header {
        time,
        host: (!nil(host)).then_some(host),
        program: (!nil(app)).then_some(app),
        pid: parse_u64(procid),
        facility: pri.map(|p| (p / 8) as u8),
        severity: pri.map(|p| (p % 8) as u8),
        message,
    })
}

/// Skips `-` or one or more `[id param="value" …]` elements and the space after them; `None` when
/// the structured data is malformed.
fn skip_structured_data(b: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = b.strip_prefix(b"-") {
        return Some(rest.strip_prefix(b" ").unwrap_or(rest));
    }
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let rest = &b[i..];
    Some(rest.strip_prefix(b" ").unwrap_or(rest))
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// rsyslog's `message repeated N times: [ MSG]` (its duplicate-message reduction): N and the
/// message that was repeated, as it would have stood alone.
#[inline]
pub fn repeated(message: &[u8]) -> Option<(u64, &[u8])> {
    // Nearly every message differs at its first byte: no call to compare the rest.
    if message.first() != Some(&b'm') {
        return None;
    }
    let rest = message.strip_prefix(b"message repeated ")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let n = parse_u64(&rest[..digits]).filter(|&n| n > 0)?;
    let inner = rest[digits..].strip_prefix(b" times: [")?.strip_suffix(b"]")?;
    Some((n, inner.strip_prefix(b" ").unwrap_or(inner)))
}

/// The two levels the ticky service writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Error => "ERROR",
        }
    }
}

/// A ticky payload: `INFO Created ticket [#4217] (mdouglas)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload<'a> {
    pub level: Level,
    /// The text without user, in up to two pieces (the INFO text around a removed ticket), to be
    /// joined by one space.
    pub text: (&'a [u8], &'a [u8]),
    pub ticket: Option<u64>,
    pub user: &'a [u8],
}

/// Why a ticky message could not be understood as a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadProblem {
    NoLevel,
    NoUser,
}

/// Parses the message of a `ticky` line. The user is the final parenthesised group: from the last
/// ` (` to the final `)`, so `Failed to parse (json) body (o'brien)` has user `o'brien` and a user
/// such as `<script>alert(1)</script>` keeps its inner parentheses. Without `ticket`, the `[#N]`
/// is not looked for: `ticket` is `None`, and an INFO text keeps it.
pub fn parse_payload(message: &[u8], ticket: bool) -> Result<Payload<'_>, PayloadProblem> {
    let (word, rest) = split_word(message);
    let level = match word {
        b"INFO" => Level::Info,
        b"ERROR" => Level::Error,
        _ => return Err(PayloadProblem::NoLevel),
    };
    let body = trim_end(rest, b" \t");
    let inner = body.strip_suffix(b")").ok_or(PayloadProblem::NoUser)?;
    let (text, user) = match last_space_paren(inner) {
        Some(open) => (&inner[..open], &inner[open + 2..]),
        // The user's group may be the whole body: `ERROR (bob)`.
        None => (&b""[..], inner.strip_prefix(b"(").ok_or(PayloadProblem::NoUser)?),
    };
    if user.is_empty() {
        return Err(PayloadProblem::NoUser);
    }
    let text = trim_start(trim_end(text, b" "), b" ");
    let found = if ticket { find_ticket(text) } else { None };
    let (ticket, text) = match found {
        Some((ticket, start, end)) if level == Level::Info => {
            let before = trim_end(&text[..start], b" ");
            let after = trim_start(&text[end..], b" ");
            (Some(ticket), (before, after))
        }
        Some((ticket, _, _)) => (Some(ticket), (text, &b""[..])),
        None => (None, (text, &b""[..])),
    };
    Ok(Payload { level, text, ticket, user })
}

/// Where the last ` (` of `b` starts.
fn last_space_paren(b: &[u8]) -> Option<usize> {
    crate::scan::rfind_pair(b, *b" (")
}

fn trim_end<'a>(mut b: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let [rest @ .., last] = b {
        if !chars.contains(last) {
            break;
        }
        b = rest;
    }
    b
}

fn trim_start<'a>(mut b: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = b {
        if !chars.contains(first) {
            break;
        }
        b = rest;
    }
    b
}

/// The first `[#N]` in `text`: the ticket number and where the brackets start and end.
fn find_ticket(text: &[u8]) -> Option<(u64, usize, usize)> {
    let mut from = 0;
    while let Some(i) = crate::scan::find_pair(&text[from..], *b"[#") {
        let start = from + i;
        let digits = &text[start + 2..];
        let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits.get(n) == Some(&b']') {
            if let Some(ticket) = parse_u64(&digits[..n]) {
                return Some((ticket, start, start + 2 + n + 1));
            }
        }
        from = start + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_payload_all(message: &[u8]) -> Result<Payload<'_>, PayloadProblem> {
        parse_payload(message, true)
    }

    fn header(line: &str) -> Header<'_> {
        parse_header(line.as_bytes()).unwrap_or_else(|| panic!("no header in {line:?}"))
    }

    #[test]
    fn bsd_header_with_space_padded_day() {
        let h = header("Jan  1 00:09:39 ubuntu.local ticky: INFO Created ticket [#4217] (mdouglas)");
        assert_eq!(h.time, Timestamp::Bsd(BsdTime { month: 1, day: 1, hour: 0, minute: 9, second: 39 }));
        assert_eq!(h.host, Some(&b"ubuntu.local"[..]));
        assert_eq!(h.program, Some(&b"ticky"[..]));
        assert_eq!(h.pid, None);
        assert_eq!(h.message, b"INFO Created ticket [#4217] (mdouglas)");
    }

    #[test]
    fn tags_with_pid_and_slash() {
        let h = header("Jan 31 00:09:39 mail postfix/smtpd[7274]: connect from x");
        assert_eq!((h.program, h.pid), (Some(&b"postfix/smtpd"[..]), Some(7274)));
        assert_eq!(h.message, b"connect from x");
    }

    #[test]
    fn kernel_message_keeps_inner_spacing() {
        let h = header("Jan 31 00:09:39 box kernel: [  997.390602] usb 1-1: new device");
        assert_eq!(h.program, Some(&b"kernel"[..]));
        assert_eq!(h.message, b"[  997.390602] usb 1-1: new device");
    }

    #[test]
    fn rfc3339_header_and_pri() {
        let h = header("<13>2025-01-31T00:09:39.123456+00:00 host ticky[42]: ERROR Boom (ac)");
        assert_eq!(h.time, Timestamp::Iso(b"2025-01-31T00:09:39.123456+00:00"));
        assert_eq!((h.program, h.pid), (Some(&b"ticky"[..]), Some(42)));
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let h = header(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 77 ID47 [exampleSDID@32473 iut="3" eventSource="Appl\]ication"] An application event"#,
        );
        assert_eq!(h.time, Timestamp::Iso(b"2003-10-11T22:14:15.003Z"));
        assert_eq!(h.host, Some(&b"mymachine.example.com"[..]));
        assert_eq!((h.program, h.pid), (Some(&b"evntslog"[..]), Some(77)));
        assert_eq!(h.message, b"An application event");
        let h = header("<34>1 - - su - ID47 - \u{feff}'su root' failed");
        assert_eq!((h.time, h.host, h.pid), (Timestamp::Unknown, None, None));
        assert_eq!(h.message, "'su root' failed".as_bytes());
    }

    #[test]
    fn headers_as_real_daemons_write_them() {
        // One-digit day after one space; upper-case month; a space after <PRI>.
        let h = header("Nov 9 12:01:01 host prog[1]: msg");
        assert_eq!(h.time, Timestamp::Bsd(BsdTime { month: 11, day: 9, hour: 12, minute: 1, second: 1 }));
        assert_eq!(
            (h.host, h.program, h.pid, h.message),
            (Some(&b"host"[..]), Some(&b"prog"[..]), Some(1), &b"msg"[..])
        );
        let h = header("AUG 10 01:02:03 h p: m");
        assert!(matches!(h.time, Timestamp::Bsd(BsdTime { month: 8, day: 10, .. })));
        let h = header("<38> Mar  7 01:02:03 h sshd[5]: m");
        assert_eq!((h.facility, h.severity, h.program), (Some(4), Some(6), Some(&b"sshd"[..])));
        // No host: the first word is the tag.
        let h = header("Jan 13 16:33:35 haproxy[73411]: msg");
        assert_eq!((h.host, h.program, h.pid, h.message), (None, Some(&b"haproxy"[..]), Some(73411), &b"msg"[..]));
        let h = header("<34>Oct 11 22:14:15 mymachine: msg");
        assert_eq!((h.host, h.program, h.facility, h.severity), (None, Some(&b"mymachine"[..]), Some(4), Some(2)));
        // BusyBox's facility.priority word.
        let h = header("Jan 18 00:11:22 router daemon.info dnsmasq[1234]: query");
        assert_eq!((h.host, h.program, h.pid), (Some(&b"router"[..]), Some(&b"dnsmasq"[..]), Some(1234)));
        assert_eq!((h.facility, h.severity, h.message), (Some(3), Some(6), &b"query"[..]));
        let h = header("Jan 18 00:11:22 router local7.warn x: y");
        assert_eq!((h.facility, h.severity), (Some(23), Some(4)));
        // An ISO offset without its colon.
        let h = header("2024-03-01T10:00:00+0100 host prog[2]: m");
        assert_eq!((h.time, h.program), (Timestamp::Iso(b"2024-03-01T10:00:00+0100"), Some(&b"prog"[..])));
        // macOS tags: names with spaces before a pid, a detail after the pid.
        let h = header("Jul  1 09:00:55 mac Microsoft Word[1234]: saved");
        assert_eq!((h.program, h.pid, h.message), (Some(&b"Microsoft Word"[..]), Some(1234), &b"saved"[..]));
        let h = header("Jul  1 09:00:55 mac BezelServices 255.10[94]: x");
        assert_eq!((h.program, h.pid), (Some(&b"BezelServices 255.10"[..]), Some(94)));
        let h = header("Jul  1 09:00:55 mac sandboxd[129] ([31211]): QQ(31211) deny");
        assert_eq!((h.program, h.pid, h.message), (Some(&b"sandboxd"[..]), Some(129), &b"QQ(31211) deny"[..]));
        let h = header(
            "Jul  1 09:00:55 mac com.apple.xpc.launchd[1] (com.apple.xpc.launchd.domain.pid.WebContent.35830): Path",
        );
        assert_eq!((h.program, h.pid, h.message), (Some(&b"com.apple.xpc.launchd"[..]), Some(1), &b"Path"[..]));
        // Words with spaces and no numeric pid are no tag; nor is a lone word before a colon-less text.
        let h = header("Jan 31 00:09:39 host Starting foo [bar]: done");
        assert_eq!((h.program, h.message), (None, &b"Starting foo [bar]: done"[..]));
        // A host that merely holds colons (IPv6) stays the host.
        let h = header("Jan 31 00:09:39 fe80::1 sshd[1]: m");
        assert_eq!((h.host, h.program), (Some(&b"fe80::1"[..]), Some(&b"sshd"[..])));
    }

    #[test]
    fn what_is_still_no_header() {
        for line in [
            "Jan 32 00:00:00 h p: m",
            "Jan 9  00:00:00 h p: m",
            "Foo  1 00:00:00 h p: m",
            "Nov 9 12:01:01",
            "<192>Jan  1 00:00:00 h p: m",
        ] {
            assert_eq!(parse_header(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn no_tag_means_whole_rest_is_message() {
        let h = header("Jan 31 00:09:39 host last message repeated 3 times");
        assert_eq!((h.program, h.message), (None, &b"last message repeated 3 times"[..]));
    }

    #[test]
    fn not_headers() {
        for line in [
            "",
            "hello world",
            "Jan 32 00:00:00 host x: y",
            "<999>Jan 31 00:00:00 h p: m",
            "2025-01-31 00:00:00 h p: m",
            "Jan 31 00:09:39",
        ] {
            assert!(parse_header(line.as_bytes()).is_none(), "{line:?}");
        }
    }

    #[test]
    fn payload_user_is_final_group() {
        let p = parse_payload_all(b"ERROR Failed to parse (json) body (o'brien)").unwrap();
        assert_eq!(
            (p.level, p.text, p.user),
            (Level::Error, (&b"Failed to parse (json) body"[..], &b""[..]), &b"o'brien"[..])
        );
        let p = parse_payload_all(b"ERROR Timeout (<script>alert(1)</script>)").unwrap();
        assert_eq!(p.user, b"<script>alert(1)</script>");
    }

    #[test]
    fn payload_info_ticket_removed() {
        let p = parse_payload_all(b"INFO Created ticket [#4217] (mdouglas)").unwrap();
        assert_eq!((p.text, p.ticket, p.user), ((&b"Created ticket"[..], &b""[..]), Some(4217), &b"mdouglas"[..]));
        let p = parse_payload_all(b"INFO Ticket [#7] closed (ac)").unwrap();
        assert_eq!(p.text, (&b"Ticket"[..], &b"closed"[..]));
    }

    #[test]
    fn payload_problems() {
        assert_eq!(parse_payload_all(b"INFO Created ticket [#5896] (mcintosh"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload_all(b"INFO Created ticket"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload_all(b"INFO Bad ()"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload_all(b"Started service (root)"), Err(PayloadProblem::NoLevel));
        assert_eq!(parse_payload_all(b"WARN x (a)"), Err(PayloadProblem::NoLevel));
    }

    #[test]
    fn last_space_paren_is_the_last_of_its_kind() {
        for (b, want) in
            [("a (b) (c)", Some(5)), ("a (b(c", Some(1)), ("a(b", None), ("(b", None), (" (", Some(0)), ("", None)]
        {
            assert_eq!(last_space_paren(b.as_bytes()), want, "{b:?}");
            assert_eq!(last_space_paren(b.as_bytes()), b.as_bytes().windows(2).rposition(|w| w == b" ("), "{b:?}");
        }
    }
}
