//! Calendar arithmetic for timestamps: RFC 3164 months and days, the year that RFC 3164 leaves out,
//! and the checks that tell an RFC 3339 timestamp from text that merely starts with digits.

use std::time::{SystemTime, UNIX_EPOCH};

/// The month number (1–12) of an RFC 3164 month abbreviation such as `Jan` (in any case: some
/// devices write `AUG`). Every syslog line's month: one match of the three bytes, not a search of
/// the twelve names.
pub fn month_number(abbr: &[u8]) -> Option<u8> {
    let &[a, b, c] = abbr else { return None };
    // Setting bit 5 makes an ASCII letter lower case, and no other byte a letter.
    let month = match &[a | 0x20, b | 0x20, c | 0x20] {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(month)
}

pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a count of days since 1970-01-01: the inverse of [`days_from_civil`] (Howard
/// Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month as u8, day as u8)
}

/// The year of a count of days since 1970-01-01.
pub fn year_of_days(days: i64) -> i64 {
    civil_from_days(days).0
}

/// Seconds since the epoch of a `SystemTime`, negative before 1970.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// The wall-clock time of `t` in the local time zone (`TZ`, else the system's), as seconds since
/// 1970-01-01 00:00 of that clock. RFC 3164 times are local and naive, so the year guess compares
/// them with the reference on this clock, not in UTC: far from UTC the two differ by up to 14
/// hours, enough to give a line near New Year the wrong year.
pub fn local_seconds(t: SystemTime) -> i64 {
    let unix = unix_seconds(t);
    let offset =
        jiff::Timestamp::from_second(unix).map(|ts| jiff::tz::TimeZone::system().to_offset(ts).seconds()).unwrap_or(0);
    unix + i64::from(offset)
}

/// A month, day and time of day as RFC 3164 writes them, without a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BsdTime {
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl BsdTime {
    fn seconds_in(&self, year: i64) -> i64 {
        days_from_civil(year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// Chooses the year of an RFC 3164 timestamp: the latest year that does not put it more than a day
/// after the reference time (the log file's modification time, or now). A log written in late
/// December and read in early January thus keeps last year, and the slack of a day absorbs time
/// zones and clocks a little ahead.
#[derive(Clone, Copy, Debug)]
pub struct YearGuess {
    limit: i64,
    reference_year: i64,
    /// The year of the last month and day looked up, kept when every second of that day gets the
    /// same year: consecutive lines of a log mostly share their day.
    last_day: Option<(u8, u8, i64)>,
}

impl YearGuess {
    pub fn new(reference: i64) -> YearGuess {
        YearGuess {
            limit: reference + 86_400,
            reference_year: year_of_days(reference.div_euclid(86_400)),
            last_day: None,
        }
    }

    pub fn year(&mut self, t: &BsdTime) -> i64 {
        if let Some((month, day, year)) = self.last_day {
            if (month, day) == (t.month, t.day) {
                return year;
            }
        }
        let year = self.compute(t);
        // Every second of the day gets this year when the whole day falls before the limit in this
        // year and after it in the next.
        let start_of_day = BsdTime { hour: 0, minute: 0, second: 0, ..*t };
        let end_of_day = BsdTime { hour: 23, minute: 59, second: 60, ..*t };
        let same_all_day = end_of_day.seconds_in(year) <= self.limit
            && t.day <= days_in_month(year + 1, t.month)
            && start_of_day.seconds_in(year + 1) > self.limit;
        self.last_day = same_all_day.then_some((t.month, t.day, year));
        year
    }

    fn compute(&self, t: &BsdTime) -> i64 {
        // February 29th exists only in leap years, so look back up to eight years for one.
        for year in (self.reference_year - 8..=self.reference_year + 1).rev() {
            if t.day <= days_in_month(year, t.month) && t.seconds_in(year) <= self.limit {
                return year;
            }
        }
        self.reference_year
    }
}

fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some((a - b'0') * 10 + (c - b'0')),
        _ => None,
    }
}

/// `HH:MM:SS` with a valid hour, minute and second (a leap second allowed).
pub fn parse_hms(b: &[u8]) -> Option<(u8, u8, u8)> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (two_digits(&b[0..2])?, two_digits(&b[3..5])?, two_digits(&b[6..8])?);
    (h < 24 && m < 60 && s <= 60).then_some((h, m, s))
}

/// True for an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, and an optional
/// `Z` or `±HH:MM` offset (rsyslog's high-precision format; RFC 5424 requires the offset, but
/// accepting its absence costs nothing and keeps hand-written logs readable). An offset without
/// its colon (`+0100`), as `journalctl -o short-iso` writes up to systemd 254, is accepted too:
/// [`offset_without_colon`] tells where to put it back.
pub fn is_rfc3339(b: &[u8]) -> bool {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't') {
        return false;
    }
    if !b[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (Some(month), Some(day)) = (two_digits(&b[5..7]), two_digits(&b[8..10])) else {
        return false;
    };
    let year = b[..4].iter().fold(0, |y, d| y * 10 + i64::from(d - b'0'));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || parse_hms(&b[11..19]).is_none() {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &frac[digits..];
    }
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            matches!((two_digits(&[*h1, *h2]), two_digits(&[*m1, *m2])), (Some(h), Some(m)) if h < 24 && m < 60)
        }
        _ => false,
    }
}

/// For an RFC 3339 timestamp whose offset lacks its colon (`…T10:00:00+0100`), the index where
/// the colon belongs, so that the record's time is RFC 3339 (`+01:00`).
pub fn offset_without_colon(t: &[u8]) -> Option<usize> {
    let n = t.len();
    (n >= 24 && matches!(t[n - 5], b'+' | b'-') && t[n - 4..].iter().all(u8::is_ascii_digit)).then_some(n - 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names_in_any_case_and_nothing_else() {
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        // The reference: a search of the names, ignoring ASCII case.
        let expected = |b: &[u8]| names.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(b)).map(|i| i as u8 + 1);
        for name in names {
            for k in 0..3 {
                for byte in 0..=255u8 {
                    let mut b = *<&[u8; 3]>::try_from(name.as_bytes()).unwrap();
                    b[k] = byte;
                    assert_eq!(month_number(&b), expected(&b), "{b:?}");
                }
            }
            assert_eq!(month_number(name.to_uppercase().as_bytes()), expected(name.as_bytes()));
        }
        assert_eq!(month_number(b"Ja"), None);
        assert_eq!(month_number(b"Janu"), None);
    }

    fn at(y: i64, mo: u8, d: u8, h: u8) -> i64 {
        days_from_civil(y, mo, d) * 86_400 + i64::from(h) * 3600
    }

    fn bsd(month: u8, day: u8, hour: u8) -> BsdTime {
        BsdTime { month, day, hour, minute: 0, second: 0 }
    }

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 365, 11_016, 20_000, 2_000_000] {
            let y = year_of_days(days);
            assert!(days_from_civil(y, 1, 1) <= days && days < days_from_civil(y + 1, 1, 1), "{days}");
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{days}");
            assert!((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d), "{days}");
        }
    }

    #[test]
    fn year_turns_over_at_new_year() {
        let mut guess = YearGuess::new(at(2026, 1, 2, 3));
        assert_eq!(guess.year(&bsd(12, 31, 23)), 2025);
        assert_eq!(guess.year(&bsd(1, 2, 1)), 2026);
        // One day ahead of the reference is tolerated, two are not; within the day that is one day
        // ahead, the hour decides, whatever was looked up before.
        assert_eq!(guess.year(&bsd(1, 3, 2)), 2026);
        assert_eq!(guess.year(&bsd(1, 3, 4)), 2025);
        assert_eq!(guess.year(&bsd(1, 3, 2)), 2026);
        assert_eq!(guess.year(&bsd(1, 4, 12)), 2025);
    }

    #[test]
    fn february_29th_finds_a_leap_year() {
        let mut guess = YearGuess::new(at(2026, 6, 1, 0));
        assert_eq!(guess.year(&bsd(2, 29, 0)), 2024);
    }

    #[test]
    fn late_december_reference_allows_next_day() {
        let mut guess = YearGuess::new(at(2025, 12, 31, 23));
        assert_eq!(guess.year(&bsd(1, 1, 0)), 2026);
        assert_eq!(guess.year(&bsd(12, 31, 0)), 2025);
    }

    #[test]
    fn rfc3339_forms() {
        for ok in [
            "2025-01-31T00:09:39",
            "2025-01-31T00:09:39.123456+00:00",
            "2003-10-11T22:14:15.003Z",
            "2025-01-31T00:09:39-05:30",
            "2024-02-29T12:00:00Z",
            "2000-02-29T12:00:00Z",
        ] {
            assert!(is_rfc3339(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "2025-13-31T00:09:39",
            "2025-01-31 00:09:39",
            "2025-01-31T24:00:00",
            "2025-02-29T12:00:00Z",
            "1900-02-29T12:00:00Z",
            "2025-04-31T12:00:00Z",
            "2025-01-31T00:09:39.",
            "2025-01-31T00:09:39+5",
            "12345",
        ] {
            assert!(!is_rfc3339(bad.as_bytes()), "{bad}");
        }
    }
}
