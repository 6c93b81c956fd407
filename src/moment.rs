//! Times as `--since`, `--until` and time buckets (`--by time/5m`) read them: a record's `time`
//! (ISO 8601, with an offset or as a local wall-clock time), the zone that local times are in, the
//! width of a bucket and the text of its start.

use std::time::SystemTime;

use crate::time::{civil_from_days, days_from_civil, days_in_month, parse_hms};

/// A time as written: the wall-clock time on its own clock, and the offset of that clock from UTC
/// when the text says it (RFC 3164 times and Python's are local and say nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Seconds since 1970-01-01 00:00:00 of the time's own clock.
    pub wall: i64,
    pub nanos: u32,
    /// Seconds east of UTC.
    pub offset: Option<i32>,
}

/// Reads `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and an offset
/// (`Z`, `±HH:MM`, `±HHMM`, `±HH`). A fraction may follow a comma, as Python writes it.
pub fn parse_time(t: &[u8]) -> Option<Moment> {
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = t.get(r)?;
        d.iter().all(u8::is_ascii_digit).then(|| d.iter().fold(0i64, |n, &b| n * 10 + i64::from(b - b'0')))
    };
    if t.len() < 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)? as u8, digits(8..10)? as u8);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut wall = days_from_civil(year, month, day) * 86_400;
    let mut rest = &t[10..];
    let mut nanos = 0;
    if let [b'T' | b't' | b' ', time @ ..] = rest {
        let (h, m, s, used) = match time {
            [_, _, b':', _, _, b':', ..] => {
                let (h, m, s) = parse_hms(time.get(..8)?)?;
                (h, m, s, 8)
            }
            [_, _, b':', _, _, ..] => {
                let (h, m, _) = parse_hms(&[time[0], time[1], b':', time[3], time[4], b':', b'0', b'0'])?;
                (h, m, 0, 5)
            }
            _ => return None,
        };
        // A leap second counts as the last second of its minute.
        wall += i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s.min(59));
        rest = &time[used..];
        if let [b'.' | b',', frac @ ..] = rest {
            let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            for (i, &b) in frac[..n.min(9)].iter().enumerate() {
                nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
            }
            rest = &frac[n..];
        }
    }
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), hm @ ..] => {
            let (h, m) = match hm {
                [h1, h2] => (two(*h1, *h2)?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (two(*h1, *h2)?, two(*m1, *m2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i32::from(h) * 3600 + i32::from(m) * 60;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    Some(Moment { wall, nanos, offset })
}

fn two(a: u8, b: u8) -> Option<u8> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}

/// The zone of times written without an offset (`--tz`, else `TZ`, else the system's), and the one
/// buckets are written in when `--tz` is given.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    /// Whether `--tz` named it: buckets are then written in it, with its offset.
    pub given: bool,
}

impl Default for Zone {
    fn default() -> Zone {
        Zone { tz: jiff::tz::TimeZone::system(), given: false }
    }
}

impl Zone {
    /// `UTC`, `local`, an offset (`+01:00`, `-0500`) or a name of the time zone database
    /// (`Europe/Paris`).
    pub fn parse(name: &str) -> Result<Zone, String> {
        let tz = match name {
            "UTC" | "utc" | "Z" => jiff::tz::TimeZone::UTC,
            "local" => jiff::tz::TimeZone::system(),
            _ if name.starts_with(['+', '-']) => {
                let offset = parse_time(format!("1970-01-01T00:00{name}").as_bytes())
                    .and_then(|m| m.offset)
                    .ok_or_else(|| format!("--tz: {name:?} is not an offset such as +01:00"))?;
                jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(offset).map_err(|e| e.to_string())?)
            }
            _ => jiff::tz::TimeZone::get(name).map_err(|e| {
                format!("--tz: {name:?} is not a time zone this system knows (UTC, local, +01:00 or a name such as Europe/Paris): {e}")
            })?,
        };
        Ok(Zone { tz, given: true })
    }

    /// The offset of this zone at the instant `utc` (seconds since the epoch).
    pub fn offset_at(&self, utc: i64) -> i32 {
        jiff::Timestamp::from_second(utc).map_or(0, |ts| self.tz.to_offset(ts).seconds())
    }

    /// The offset of this zone at the wall-clock time `wall`: the offset before a change for the
    /// hour a change repeats or skips.
    pub fn offset_of_wall(&self, wall: i64) -> i32 {
        let guess = self.offset_at(wall);
        self.offset_at(wall - i64::from(guess))
    }
}

/// Converts times to instants, remembering the last hour's offset: looking a zone up for every
/// record would cost more than reading it.
#[derive(Clone, Debug)]
pub struct Clock {
    pub zone: Zone,
    hour: i64,
    offset: i32,
    /// The last bucket of each width. Records come in time order, so most fall in the bucket
    /// before them: their time is neither parsed nor its bucket formatted again.
    buckets: Vec<LastBucket>,
}

/// The last bucket written for a width.
#[derive(Clone, Debug)]
struct LastBucket {
    width: i64,
    start: i64,
    offset: Option<i32>,
    text: Vec<u8>,
    /// The time text it came from without its seconds (`2026-11-22T10:05` and the offset), when
    /// every time of that minute falls in this bucket.
    minute: Vec<u8>,
}

/// Whether `stored` (a minute and offset kept together) is the minute `minute_of` gave.
pub fn is_minute(stored: &[u8], (head, tail): (&[u8], &[u8])) -> bool {
    // Compared in line (a call to memcmp for 16 bytes and an offset of a few was a tenth of the
    // time table's cost): the minute is 16 bytes, and the offset after it is short.
    let (Some((minute, offset)), Ok(head)) = (stored.split_first_chunk::<16>(), <&[u8; 16]>::try_from(head)) else {
        return false;
    };
    minute == head && offset.len() == tail.len() && offset.iter().zip(tail).all(|(a, b)| a == b)
}

/// A time text without its seconds: the minute (`2026-11-22T10:05`) and the offset after the
/// seconds and their fraction; `None` unless the seconds are `00` to `59`, so that every text of
/// that minute is the same minute.
pub fn minute_of(t: &[u8]) -> Option<(&[u8], &[u8])> {
    let secs = t.get(16..19)?;
    if secs[0] != b':' || !(b'0'..=b'5').contains(&secs[1]) || !secs[2].is_ascii_digit() {
        return None;
    }
    let mut rest = &t[19..];
    if let [b'.', digits @ ..] = rest {
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        rest = &digits[n..];
    }
    Some((&t[..16], rest))
}

impl Clock {
    pub fn new(zone: Zone) -> Clock {
        Clock { zone, hour: i64::MIN, offset: 0, buckets: Vec::new() }
    }

    /// The offset of a moment's clock: its own, or the zone's for a local time.
    pub fn offset(&mut self, m: &Moment) -> i32 {
        match m.offset {
            Some(o) => o,
            None => {
                let hour = m.wall.div_euclid(3600);
                if hour != self.hour {
                    self.hour = hour;
                    self.offset = self.zone.offset_of_wall(hour * 3600);
                }
                self.offset
            }
        }
    }

    /// Seconds since the epoch (UTC) and nanoseconds: what `--since` and `--until` compare.
    pub fn instant(&mut self, m: &Moment) -> (i64, u32) {
        (m.wall - i64::from(self.offset(m)), m.nanos)
    }

    /// The start of the bucket of `width` seconds that holds `m`, as the table writes it. Buckets
    /// are aligned on the clock of the log (multiples of the width since 1970-01-01 00:00 of that
    /// clock, so a width that divides a day starts at midnight) and written as the log writes its
    /// times: with the offset when they have one, without when they are local; with `--tz`, in that
    /// zone, with its offset.
    /// Writes the bucket of a time text (as [`parse_time`] reads it) to `out`; `false` when the
    /// text is not a time. A text of the same minute as the last one of this width is not parsed
    /// again, when the width is whole minutes and the zone is the times' own.
    pub fn bucket_of(&mut self, text: &[u8], width: i64, out: &mut Vec<u8>) -> bool {
        let minute = minute_of(text).filter(|_| width % 60 == 0 && !self.zone.given);
        if let (Some(minute), Some(last)) = (minute, self.buckets.iter().find(|b| b.width == width)) {
            if is_minute(&last.minute, minute) {
                out.extend_from_slice(&last.text);
                return true;
            }
        }
        let Some(m) = parse_time(text) else { return false };
        self.bucket(&m, width, out);
        if let (Some((head, tail)), Some(last)) = (minute, self.buckets.iter_mut().find(|b| b.width == width)) {
            last.minute.clear();
            last.minute.extend_from_slice(head);
            last.minute.extend_from_slice(tail);
        }
        true
    }

    pub fn bucket(&mut self, m: &Moment, width: i64, out: &mut Vec<u8>) {
        let (wall, offset) = match (self.zone.given, m.offset) {
            (false, offset) => (m.wall, offset),
            (true, _) => {
                let utc = self.instant(m).0;
                let offset = self.zone.offset_at(utc);
                (utc + i64::from(offset), Some(offset))
            }
        };
        let start = wall - wall.rem_euclid(width);
        let slot = match self.buckets.iter().position(|b| b.width == width) {
            Some(k) => k,
            None => {
                let last = LastBucket { width, start: i64::MIN, offset: None, text: Vec::new(), minute: Vec::new() };
                self.buckets.push(last);
                self.buckets.len() - 1
            }
        };
        let last = &mut self.buckets[slot];
        last.minute.clear();
        if last.start != start || last.offset != offset {
            last.text.clear();
            write_time(start, offset, &mut last.text);
            (last.start, last.offset) = (start, offset);
        }
        out.extend_from_slice(&last.text);
    }
}

/// Writes a wall-clock time as ISO 8601 (`2026-11-22T10:05:00`), with its offset when it has one
/// (`+01:00`; UTC as `+00:00`).
pub fn write_time(wall: i64, offset: Option<i32>, out: &mut Vec<u8>) {
    use std::io::Write;
    let (days, secs) = (wall.div_euclid(86_400), wall.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if let Some(o) = offset {
        let sign = if o < 0 { '-' } else { '+' };
        let _ = write!(out, "{sign}{:02}:{:02}", o.abs() / 3600, o.abs() / 60 % 60);
    }
}

/// A bucket width: `30s`, `5m`, `1h`, `1d`, in seconds.
pub fn parse_width(text: &str) -> Option<i64> {
    let unit = match text.as_bytes().last()? {
        b's' => 1,
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86_400,
        _ => return None,
    };
    let n: i64 = text[..text.len() - 1].parse().ok().filter(|&n| n > 0 && n <= 366_000)?;
    Some(n * unit)
}

/// A field of a `--by` list that is a time bucket: `time/5m` is the field `time` and 300 seconds.
pub fn split_bucket(spec: &str) -> Option<(&str, i64)> {
    let (field, width) = spec.rsplit_once('/')?;
    Some((field, parse_width(width)?)).filter(|(f, _)| !f.is_empty())
}

/// Reads the argument of `--since` or `--until`: an ISO 8601 time or date (a local one in the
/// zone of `clock`), `now`, `today`, `yesterday` (midnight), or `-N` and a unit (`-1h`, `-30m`,
/// `-2d`: that long before now). Returns the instant.
pub fn parse_bound(text: &str, clock: &mut Clock, now: SystemTime) -> Result<(i64, u32), String> {
    let now = crate::time::unix_seconds(now);
    let midnight = |clock: &mut Clock, days_back: i64| {
        let wall = now + i64::from(clock.zone.offset_at(now));
        let day = wall.div_euclid(86_400) - days_back;
        clock.instant(&Moment { wall: day * 86_400, nanos: 0, offset: None })
    };
    match text {
        "now" => Ok((now, 0)),
        "today" => Ok(midnight(clock, 0)),
        "yesterday" => Ok(midnight(clock, 1)),
        _ if text.starts_with('-') => match parse_width(&text[1..]) {
            Some(ago) => Ok((now - ago, 0)),
            None => Err(format!("{text:?} is not a time before now such as -1h, -30m or -2d")),
        },
        _ => match parse_time(text.as_bytes()) {
            Some(m) => Ok(clock.instant(&m)),
            None => Err(format!(
                "{text:?} is not a time: give ISO 8601 (2026-11-22, 2026-11-22T08:00, 2026-11-22T08:00:00+01:00), \
                 today, yesterday, now or -1h"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> Clock {
        Clock::new(Zone::parse("UTC").unwrap())
    }

    #[test]
    fn a_minute_seen_before_gives_the_bucket_parsing_would() {
        let texts = [
            "2026-11-22T10:05:01",
            "2026-11-22T10:05:59",
            "2026-11-22T10:05:59+01:00",
            "2026-11-22T10:05:30.25+01:00",
            "2026-11-22T10:05:30.5Z",
            "2026-11-22T10:05:60",
            "2026-11-22T10:05:6x",
            "2026-11-22T10:05",
            "2026-11-22T10:06:00",
            "2026-11-22T10:05:00-02:30",
            "2026-11-22T10:05:00-02:30x",
            "2026-11-22T11:00:00-02:30",
            "2026-11-22T10:05:01",
        ];
        for width in [60, 300, 3600, 86_400, 30] {
            let (mut cached, mut plain) = (Clock::new(Zone::default()), Clock::new(Zone::default()));
            for text in texts.iter().chain(texts.iter().rev()) {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let ok = cached.bucket_of(text.as_bytes(), width, &mut a);
                let expected = parse_time(text.as_bytes()).map(|m| plain.bucket(&m, width, &mut b));
                assert_eq!(ok, expected.is_some(), "{text} {width}");
                assert_eq!(a, b, "{text} {width}");
            }
        }
    }

    #[test]
    fn times_with_and_without_offsets() {
        let m = parse_time(b"2026-11-22T10:05:07.25+01:30").unwrap();
        assert_eq!(m.offset, Some(5400));
        assert_eq!(m.nanos, 250_000_000);
        assert_eq!(utc().instant(&m).0, m.wall - 5400);
        assert_eq!(parse_time(b"2026-11-22 10:05:07,123").unwrap().offset, None);
        assert_eq!(parse_time(b"2026-11-22").unwrap().wall % 86_400, 0);
        for bad in
            [&b"2026-02-30"[..], b"2026-11-22T25:00", b"2026-11-22T10:05:07+1", b"2026-11-22T10:05:07 x", b"22/11/2026"]
        {
            assert_eq!(parse_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn buckets_align_on_the_logs_clock_and_keep_its_offset() {
        let mut out = Vec::new();
        let mut clock = Clock::new(Zone::default());
        clock.bucket(&parse_time(b"2026-11-22T23:59:59-05:00").unwrap(), 3600, &mut out);
        assert_eq!(out, b"2026-11-22T23:00:00-05:00");
        out.clear();
        clock.bucket(&parse_time(b"2026-11-22T10:07:00").unwrap(), 86_400, &mut out);
        assert_eq!(out, b"2026-11-22T00:00:00");
        out.clear();
        let mut paris = Clock::new(Zone::parse("+01:00").unwrap());
        paris.bucket(&parse_time(b"2026-11-22T23:59:59Z").unwrap(), 86_400, &mut out);
        assert_eq!(out, b"2026-11-23T00:00:00+01:00");
    }

    #[test]
    fn widths_and_bounds() {
        assert_eq!(split_bucket("time/5m"), Some(("time", 300)));
        assert_eq!(split_bucket("time/0m"), None);
        assert_eq!(split_bucket("a/b"), None);
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 3 + 5000);
        let mut clock = utc();
        assert_eq!(parse_bound("today", &mut clock, now), Ok((86_400 * 3, 0)));
        assert_eq!(parse_bound("yesterday", &mut clock, now), Ok((86_400 * 2, 0)));
        assert_eq!(parse_bound("-1h", &mut clock, now), Ok((86_400 * 3 + 1400, 0)));
        assert!(parse_bound("soon", &mut clock, now).is_err());
    }
}
