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
    pub message: &'a [u8],
}

/// Parses the header of a syslog line, or returns `None` when the line has none that is recognised.
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let (pri, rest) = strip_pri(line)?;
    if pri {
        if let Some(rest) = rest.strip_prefix(b"1 ") {
            return parse_rfc5424(rest);
        }
    }
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
    let (host, rest) = split_word(rest);
    if host.is_empty() {
        return None;
    }
    let (program, pid, message) = parse_tag(rest);
    Some(Header { time, host: Some(host), program, pid, message })
}

/// Strips an optional `<PRI>` (0–191). Returns whether one was there; `None` when a `<` starts
/// something that is not a valid PRI.
fn strip_pri(line: &[u8]) -> Option<(bool, &[u8])> {
    let Some(rest) = line.strip_prefix(b"<") else {
        return Some((false, line));
    };
    let digits = rest.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || rest.get(digits) != Some(&b'>') {
        return None;
    }
    let pri: u32 = rest[..digits].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    (pri <= 191).then_some((true, &rest[digits + 1..]))
}

/// `Mmm dd hh:mm:ss ` with the day space-padded (`Jan  1`) or zero-padded (`Jan 01`).
fn parse_bsd_time(b: &[u8]) -> Option<(BsdTime, &[u8])> {
    if b.len() < 16 || b[3] != b' ' || b[6] != b' ' || b[15] != b' ' {
        return None;
    }
    let month = time::month_number(&b[..3])?;
    let day = match (b[4], b[5]) {
        (b' ' | b'0', d @ b'1'..=b'9') => d - b'0',
        (t @ b'1'..=b'3', d @ b'0'..=b'9') => (t - b'0') * 10 + (d - b'0'),
        _ => return None,
    };
    if day > time::days_in_month(2024, month) {
        return None;
    }
    let (hour, minute, second) = time::parse_hms(&b[7..15])?;
    Some((BsdTime { month, day, hour, minute, second }, &b[16..]))
}

/// The word before the first space, and what follows that space.
fn split_word(b: &[u8]) -> (&[u8], &[u8]) {
    // Words are short: a plain loop beats a call to memchr.
    match b.iter().position(|&c| c == b' ') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// Splits `prog[pid]: message` into its parts. Without a recognisable tag the whole text is the
/// message (`last message repeated 3 times`).
fn parse_tag(b: &[u8]) -> (Option<&[u8]>, Option<u64>, &[u8]) {
    let end = b.iter().position(|&c| matches!(c, b'[' | b':' | b' ')).unwrap_or(b.len());
    let program = &b[..end];
    let mut rest = &b[end..];
    let mut pid = None;
    if let Some(inner) = rest.strip_prefix(b"[") {
        let Some(close) = inner.find_byte(b']') else {
            return (None, None, b);
        };
        pid = parse_u64(&inner[..close]);
        rest = &inner[close + 1..];
    }
    match rest.strip_prefix(b":") {
        Some(msg) if !program.is_empty() => (Some(program), pid, msg.strip_prefix(b" ").unwrap_or(msg)),
        _ => (None, None, b),
    }
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
fn parse_rfc5424(b: &[u8]) -> Option<Header<'_>> {
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
/// such as `<script>alert(1)</script>` keeps its inner parentheses.
pub fn parse_payload(message: &[u8]) -> Result<Payload<'_>, PayloadProblem> {
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
    let (ticket, text) = match find_ticket(text) {
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
    let mut end = b.len();
    while let Some(paren) = b[..end].iter().rposition(|&c| c == b'(') {
        if paren > 0 && b[paren - 1] == b' ' {
            return Some(paren - 1);
        }
        end = paren;
    }
    None
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
    while let Some(i) = text[from..].find_byte(b'[') {
        let start = from + i;
        if text.get(start + 1) != Some(&b'#') {
            from = start + 1;
            continue;
        }
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
        let p = parse_payload(b"ERROR Failed to parse (json) body (o'brien)").unwrap();
        assert_eq!(
            (p.level, p.text, p.user),
            (Level::Error, (&b"Failed to parse (json) body"[..], &b""[..]), &b"o'brien"[..])
        );
        let p = parse_payload(b"ERROR Timeout (<script>alert(1)</script>)").unwrap();
        assert_eq!(p.user, b"<script>alert(1)</script>");
    }

    #[test]
    fn payload_info_ticket_removed() {
        let p = parse_payload(b"INFO Created ticket [#4217] (mdouglas)").unwrap();
        assert_eq!((p.text, p.ticket, p.user), ((&b"Created ticket"[..], &b""[..]), Some(4217), &b"mdouglas"[..]));
        let p = parse_payload(b"INFO Ticket [#7] closed (ac)").unwrap();
        assert_eq!(p.text, (&b"Ticket"[..], &b"closed"[..]));
    }

    #[test]
    fn payload_problems() {
        assert_eq!(parse_payload(b"INFO Created ticket [#5896] (mcintosh"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload(b"INFO Created ticket"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload(b"INFO Bad ()"), Err(PayloadProblem::NoUser));
        assert_eq!(parse_payload(b"Started service (root)"), Err(PayloadProblem::NoLevel));
        assert_eq!(parse_payload(b"WARN x (a)"), Err(PayloadProblem::NoLevel));
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
