//! Web server access logs, as Apache and nginx write them: the common and combined formats, with a
//! `vhost:port` first field (Apache's vhost_combined) and a request time at the end of the line
//! (nginx's `$request_time`, Apache's `%T` or `%D`) when there is one. Everything borrows from the
//! line: nothing is allocated.

use crate::{scan, time};

/// The unit of a request time at the end of a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DurationUnit {
    /// nginx's `$request_time` (`0.123`) and Apache's `%T`.
    #[default]
    Seconds,
    Milliseconds,
    /// Apache's `%D`.
    Microseconds,
}

impl DurationUnit {
    pub fn from_name(name: &str) -> Option<DurationUnit> {
        match name {
            "s" => Some(DurationUnit::Seconds),
            "ms" => Some(DurationUnit::Milliseconds),
            "us" => Some(DurationUnit::Microseconds),
            _ => None,
        }
    }

    /// How many places the decimal point moves to make milliseconds.
    fn shift(self) -> i32 {
        match self {
            DurationUnit::Seconds => 3,
            DurationUnit::Milliseconds => 0,
            DurationUnit::Microseconds => -3,
        }
    }
}

/// One access log line's fields. Text is as logged (the server's own escapes kept); `-` in the
/// user, referer and agent fields means none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access<'a> {
    pub vhost: Option<&'a [u8]>,
    pub ip: &'a [u8],
    pub user: Option<&'a [u8]>,
    /// `10/Oct/2000:13:55:36 -0700`, checked: see [`write_time`].
    pub time: &'a [u8],
    pub method: Option<&'a [u8]>,
    pub path: Option<&'a [u8]>,
    pub query: Option<&'a [u8]>,
    pub protocol: Option<&'a [u8]>,
    pub status: u16,
    pub bytes: Option<u64>,
    pub referer: Option<&'a [u8]>,
    pub agent: Option<&'a [u8]>,
    /// The request time as logged, a decimal number in the line's unit.
    pub duration: Option<&'a [u8]>,
}

/// Parses a common or combined access log line; `None` when it is not one.
pub fn parse(line: &[u8]) -> Option<Access<'_>> {
    // The searches below are of a few dozen bytes each: found in place (`scan`), not through
    // memchr or memmem, whose setup for each search cost more than the search, twice the time of
    // the whole parse.
    let open = scan::find_near(line, b'[')?;
    let before = line[..open].strip_suffix(b" ")?;
    // `ip ident user`, or `vhost:port ip ident user`.
    let mut words = before.split(|&c| c == b' ');
    let first = words.next()?;
    let (vhost, ip) = match (words.next()?, words.next()?, words.next()) {
        (_, _, None) => (None, first),
        (ip, _, Some(_)) => (Some(first), ip),
    };
    let user = before.rsplit(|&c| c == b' ').next()?;
    if words.next().is_some() || ip.is_empty() || user.is_empty() || first.is_empty() {
        return None;
    }
    let rest = &line[open + 1..];
    let time = rest.get(..26)?;
    if !is_time(time) || rest.get(26..29)? != b"] \"" {
        return None;
    }
    let (request, rest) = quoted(&rest[29..])?;
    let rest = rest.strip_prefix(b" ")?;
    let status = rest.get(..3)?;
    if !status.iter().all(u8::is_ascii_digit) || rest.get(3) != Some(&b' ') {
        return None;
    }
    let status = status.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let rest = &rest[4..];
    let end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
    let bytes = match &rest[..end] {
        b"-" => None,
        digits if !digits.is_empty() && digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit) => {
            Some(digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
        }
        _ => return None,
    };
    let mut rest = &rest[end..];
    let mut referer = None;
    let mut agent = None;
    if let Some(after) = rest.strip_prefix(b" \"") {
        let (r, after) = quoted(after)?;
        let (a, after) = quoted(after.strip_prefix(b" \"")?)?;
        (referer, agent, rest) = (none_if_dash(r), none_if_dash(a), after);
    }
    // What follows is the server's own (nginx's `$request_time`, forwarded addresses…): a number
    // last is the request time.
    let last = rest.trim_ascii_end().rsplit(|&c| c == b' ').next().unwrap_or_default();
    let duration = is_decimal(last).then_some(last);
    let (method, path, query, protocol) = split_request(request);
    Some(Access {
        vhost,
        ip,
        user: none_if_dash(user),
        time,
        method,
        path,
        query,
        protocol,
        status,
        bytes,
        referer,
        agent,
        duration,
    })
}

impl Access<'_> {
    /// Whether a field holds a bare quote. Those from between quotes cannot (a quote inside one
    /// comes after a backslash); only the words before the time can. Without one, every quote of
    /// the line is the format's own, around a field.
    pub fn has_bare_quote(&self) -> bool {
        [self.vhost, Some(self.ip), self.user].iter().flatten().any(|w| w.contains(&b'"'))
    }
}

/// The text up to the closing quote (a quote after a backslash is escaped), and what follows it.
fn quoted(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut at = 0;
    loop {
        at += scan::find_any(&s[at..], [b'"', b'\\', b'"'])?;
        if s[at] == b'"' {
            return Some((&s[..at], &s[at + 1..]));
        }
        at += 2;
        if at > s.len() {
            return None;
        }
    }
}

fn none_if_dash(s: &[u8]) -> Option<&[u8]> {
    (s != b"-").then_some(s)
}

type Request<'a> = (Option<&'a [u8]>, Option<&'a [u8]>, Option<&'a [u8]>, Option<&'a [u8]>);

/// `GET /a?b=1 HTTP/1.1`: the method, the path, the query (without `?`, absent when empty) and the
/// protocol. A request that is not `METHOD TARGET [PROTOCOL]` (a scanner's bytes, `-`) has none.
fn split_request(request: &[u8]) -> Request<'_> {
    let Some(space) = scan::find_near(request, b' ') else { return (None, None, None, None) };
    let method = &request[..space];
    let target = &request[space + 1..];
    let (target, protocol) = match target.iter().rposition(|&c| c == b' ') {
        Some(at) if target[at + 1..].starts_with(b"HTTP/") => (&target[..at], Some(&target[at + 1..])),
        _ => (target, None),
    };
    if method.is_empty() || !method.iter().all(u8::is_ascii_alphabetic) || target.is_empty() {
        return (None, None, None, None);
    }
    let (path, query) = match scan::find_near(target, b'?') {
        Some(at) => (&target[..at], Some(&target[at + 1..]).filter(|q| !q.is_empty())),
        None => (target, None),
    };
    (Some(method), Some(path), query, protocol)
}

/// `10/Oct/2000:13:55:36 -0700`.
fn is_time(t: &[u8]) -> bool {
    let digit = |i: usize| t[i].is_ascii_digit();
    t.len() == 26
        && digit(0)
        && digit(1)
        && t[2] == b'/'
        && time::month_number(&t[3..6]).is_some()
        && t[6] == b'/'
        && digit(7)
        && digit(8)
        && digit(9)
        && digit(10)
        && t[11] == b':'
        && time::parse_hms(&t[12..20]).is_some()
        && t[20] == b' '
        && matches!(t[21], b'+' | b'-')
        && digit(22)
        && digit(23)
        && digit(24)
        && digit(25)
}

/// Appends `2000-10-10T13:55:36-07:00`: ISO 8601 with the line's offset.
pub fn write_time(out: &mut Vec<u8>, t: &[u8]) {
    let month = time::month_number(&t[3..6]).unwrap_or(1);
    out.extend_from_slice(&t[7..11]);
    out.extend_from_slice(&[b'-', b'0' + month / 10, b'0' + month % 10, b'-', t[0], t[1], b'T']);
    out.extend_from_slice(&t[12..20]);
    out.extend_from_slice(&t[21..24]);
    out.push(b':');
    out.extend_from_slice(&t[24..26]);
}

/// Digits with at most one `.` between digits: `12`, `0.123`.
fn is_decimal(s: &[u8]) -> bool {
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    !int.is_empty()
        && int.len() <= 20
        && int.iter().all(u8::is_ascii_digit)
        && frac.is_none_or(|f| !f.is_empty() && f.len() <= 20 && f.iter().all(u8::is_ascii_digit))
}

/// Appends the request time `d` (as [`is_decimal`] allows), read in `unit`, in milliseconds: the
/// decimal point moved, exactly, with no leading or trailing zero that says nothing (`0.123` s is
/// `123`, `1.5` s is `1500`, `1234` µs is `1.234`).
pub fn write_duration_ms(out: &mut Vec<u8>, d: &[u8], unit: DurationUnit) {
    let (int, frac) = match d.iter().position(|&c| c == b'.') {
        Some(at) => (&d[..at], &d[at + 1..]),
        None => (d, &b""[..]),
    };
    if frac.len() as i32 == unit.shift() {
        // A whole number of milliseconds (nginx's `0.123` s, always three places): the digits as
        // they are, without leading zeros.
        match (int.iter().position(|&c| c != b'0'), frac.iter().position(|&c| c != b'0')) {
            (Some(i), _) => {
                out.extend_from_slice(&int[i..]);
                out.extend_from_slice(frac);
            }
            (None, Some(i)) => out.extend_from_slice(&frac[i..]),
            (None, None) => out.push(b'0'),
        }
        return;
    }
    // The number's digits, int then frac, and where the point stands among them after the shift;
    // a place before the first digit or after the last is a zero. Written straight into `out`: this
    // runs on every line of an access log.
    let total = (int.len() + frac.len()) as i32;
    let digit = |i: i32| match usize::try_from(i) {
        Ok(i) if i < int.len() => int[i],
        Ok(i) if i < total as usize => frac[i - int.len()],
        _ => b'0',
    };
    let point = int.len() as i32 + unit.shift();
    match (0..point).find(|&i| digit(i) != b'0') {
        Some(first) => out.extend((first..point).map(digit)),
        None => out.push(b'0'),
    }
    if let Some(last) = (point.min(0)..total).rev().find(|&i| i >= point && digit(i) != b'0') {
        out.push(b'.');
        out.extend((point..=last).map(digit));
    }
}

#[cfg(test)]
mod tests {
    use bstr::ByteSlice;

    use super::*;

    #[test]
    fn combined_line() {
        let line = br#"203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)" 0.123"#;
        let a = parse(line).unwrap();
        assert_eq!(a.ip, b"203.0.113.9");
        assert_eq!(a.user, Some(&b"frank"[..]));
        assert_eq!(a.method, Some(&b"GET"[..]));
        assert_eq!(a.path, Some(&b"/apache_pb.gif"[..]));
        assert_eq!(a.query, Some(&b"a=1&b"[..]));
        assert_eq!(a.protocol, Some(&b"HTTP/1.0"[..]));
        assert_eq!((a.status, a.bytes), (200, Some(2326)));
        assert_eq!(a.referer, Some(&b"http://www.example.com/start.html"[..]));
        assert_eq!(a.agent, Some(&b"Mozilla/4.08 [en] (Win98; I ;Nav)"[..]));
        assert_eq!(a.duration, Some(&b"0.123"[..]));
        let mut t = Vec::new();
        write_time(&mut t, a.time);
        assert_eq!(t, b"2000-10-10T13:55:36-07:00");
    }

    #[test]
    fn common_vhost_and_odd_requests() {
        let a = parse(br#"::1 - - [01/Jan/2025:00:00:00 +0000] "-" 400 -"#).unwrap();
        assert_eq!((a.ip, a.user, a.method, a.bytes, a.referer), (&b"::1"[..], None, None, None, None));
        let a = parse(br#"www.example.com:443 10.0.0.1 - - [01/Jan/2025:00:00:00 +0100] "POST /x HTTP/2.0" 201 5 "-" "a \"q\" b""#)
            .unwrap();
        assert_eq!((a.vhost, a.ip, a.referer), (Some(&b"www.example.com:443"[..]), &b"10.0.0.1"[..], None));
        assert_eq!(a.agent, Some(&br#"a \"q\" b"#[..]));
        let a = parse(br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "\x16\x03\x01" 400 0 "-" "-""#).unwrap();
        assert_eq!((a.method, a.path, a.status), (None, None, 400));
        for bad in [
            &b"Jan 31 00:09:39 h ticky: INFO x (u)"[..],
            br#"1.2.3.4 - - [01/Foo/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
            br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 2000 1"#,
            br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1 200 1"#,
            br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 x"#,
            br#"1.2.3.4 - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
        ] {
            assert_eq!(parse(bad), None, "{}", bad.as_bstr());
        }
    }

    #[test]
    fn durations_in_milliseconds() {
        for (d, unit, ms) in [
            ("0.123", DurationUnit::Seconds, "123"),
            ("1.5", DurationUnit::Seconds, "1500"),
            ("0.0005", DurationUnit::Seconds, "0.5"),
            ("2", DurationUnit::Seconds, "2000"),
            ("0.000", DurationUnit::Seconds, "0"),
            ("1234", DurationUnit::Microseconds, "1.234"),
            ("5", DurationUnit::Microseconds, "0.005"),
            ("120000", DurationUnit::Microseconds, "120"),
            ("0.005", DurationUnit::Seconds, "5"),
            ("12.345", DurationUnit::Seconds, "12345"),
            ("10.000", DurationUnit::Seconds, "10000"),
            ("0042", DurationUnit::Milliseconds, "42"),
            ("000", DurationUnit::Milliseconds, "0"),
            ("007.50", DurationUnit::Milliseconds, "7.5"),
        ] {
            let mut out = Vec::new();
            write_duration_ms(&mut out, d.as_bytes(), unit);
            assert_eq!(out.as_bstr(), ms, "{d} {unit:?}");
        }
    }
}
