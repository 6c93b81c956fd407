//! Reading JSON Lines records: the values of a few named top-level fields, found by a scanner of
//! our own that checks the whole line is valid JSON but builds nothing from the fields it does not
//! want. Lines as ticky-parse writes them take a fast path that marks every quote of the line in
//! one vectorised pass ([`scan`]); other lines are scanned token by token, strings eight bytes at
//! a time. A wanted value's text goes into a buffer reused from record to record, so nothing is
//! allocated per line. (serde_json, which this replaced, read the records at a third of the speed, most of
//! it spent on the fields nobody asked for.)

use crate::scan::{self, special_bytes, word_at};

/// Deeper nesting than this is refused rather than followed.
const MAX_DEPTH: usize = 128;

/// `Fields::present` of a key whose value is not a scalar: never the number of a record.
const NOT_SCALAR: u64 = u64::MAX;

/// The values of the wanted fields of the last record read.
pub struct Fields {
    names: Vec<Vec<u8>>,
    values: Vec<Vec<u8>>,
    /// The record in which each field was last found: `get` answers only for the current one, so
    /// nothing needs clearing between records. 0 while no record has had the key; [`NOT_SCALAR`]
    /// when its last value was `null`, an array or an object.
    present: Vec<u64>,
    record: u64,
    /// A key with escapes, decoded.
    scratch: Vec<u8>,
    /// Where the quotes of the line are, one bit per byte, for [`Fields::read_plain`].
    quotes: Vec<u64>,
}

impl Fields {
    pub fn new(names: Vec<String>) -> Fields {
        let n = names.len();
        Fields {
            names: names.into_iter().map(String::into_bytes).collect(),
            values: vec![Vec::new(); n],
            present: vec![0; n],
            record: 0,
            scratch: Vec::new(),
            quotes: Vec::new(),
        }
    }

    /// Reads one JSON object. A field is present when it is a string, a number or a boolean; its
    /// value is then its text (a number as written: `4217`). `null`, arrays and objects count as
    /// absent. When a key appears twice, the last one counts. On error, returns a message for the
    /// user that says what is wrong and at which column.
    pub fn read(&mut self, line: &[u8]) -> Result<(), String> {
        self.record += 1;
        if self.read_plain(line).is_some() {
            return Ok(());
        }
        // A new record number forgets whatever the fast path found before it gave up.
        self.record += 1;
        let mut scanner = Scanner { s: line, i: 0 };
        scanner.record(self).map_err(|what| format!("invalid JSON record: {what} (column {})", scanner.i + 1))
    }

    /// Starts a record whose values the caller fills in with [`Fields::fill`] (a raw log line parsed
    /// in process), instead of one read from JSON.
    pub fn begin_record(&mut self) {
        self.record += 1;
    }

    /// Sets the `i`th wanted field of the current record: `value` writes it into the (cleared)
    /// buffer and says whether the record has it.
    pub fn fill(&mut self, i: usize, value: impl FnOnce(&mut Vec<u8>) -> bool) {
        if value(&mut self.values[i]) {
            self.present[i] = self.record;
        }
    }

    /// Marks as found, for [`Fields::never_found`], the fields that `other` (the same wanted fields
    /// read from another part of the input) found.
    pub fn found_in(&mut self, other: &Fields) {
        for (p, &o) in self.present.iter_mut().zip(&other.present) {
            if *p == 0 && o != 0 {
                *p = NOT_SCALAR;
            }
        }
    }

    /// The text of the `i`th wanted field, if the record had it.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (self.present[i] == self.record).then(|| self.values[i].as_slice())
    }

    /// The wanted fields whose key no record read so far had (a key with a `null` value counts as
    /// had).
    pub fn never_found(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.names.iter().zip(&self.present).filter(|&(_, &p)| p == 0).map(|(name, _)| name.as_slice())
    }
}

impl Fields {
    /// The fast path, for lines written the way ticky-parse writes them: no escapes, no control
    /// characters, no space between tokens, no nested values. Such a line's strings are exactly
    /// the stretches between two quotes, so one pass over the line marks every quote (sixteen
    /// bytes at a time) and the walk then jumps from quote to quote instead of testing each byte of each
    /// string. Returns `None`, leaving the fields in any state, for any line it does not accept as
    /// valid: [`Scanner`] then reads it again and gives the verdict and the message.
    fn read_plain(&mut self, s: &[u8]) -> Option<()> {
        let ascii = mark_quotes(s, &mut self.quotes)?;
        let quotes = &self.quotes;
        // The index of the first quote at or after `from`.
        let next_quote = |from: usize| -> Option<usize> {
            let mut w = from / 64;
            let mut bits = quotes.get(w)? & (!0u64 << (from % 64));
            while bits == 0 {
                w += 1;
                bits = *quotes.get(w)?;
            }
            Some(w * 64 + bits.trailing_zeros() as usize)
        };
        if s.first() != Some(&b'{') {
            return None;
        }
        let mut i = 1;
        if s.get(i) == Some(&b'}') {
            return (s.len() == 2).then_some(());
        }
        loop {
            if s.get(i) != Some(&b'"') {
                return None;
            }
            let end = next_quote(i + 1)?;
            let key = &s[i + 1..end];
            i = end + 1;
            if s.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
            let wanted = self.names.iter().position(|n| n == key);
            let start = i;
            let (value, scalar) = match s.get(i)? {
                b'"' => {
                    let end = next_quote(i + 1)?;
                    i = end + 1;
                    (&s[start + 1..end], true)
                }
                b'1'..=b'9'
                    if {
                        // Most numbers are whole: their digits end at the next ',' or '}'.
                        i += 1 + s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                        matches!(s.get(i), Some(b',' | b'}'))
                    } =>
                {
                    (&s[start..i], true)
                }
                b'-' | b'0'..=b'9' => {
                    let mut number = Scanner { s, i: start };
                    number.number().ok()?;
                    i = number.i;
                    (&s[start..i], true)
                }
                b't' if s[i..].starts_with(b"true") => {
                    i += 4;
                    (&s[start..i], true)
                }
                b'f' if s[i..].starts_with(b"false") => {
                    i += 5;
                    (&s[start..i], true)
                }
                b'n' if s[i..].starts_with(b"null") => {
                    i += 4;
                    (&s[start..i], false)
                }
                _ => return None,
            };
            if let Some(k) = wanted {
                if !ascii && s[start] == b'"' && std::str::from_utf8(value).is_err() {
                    return None;
                }
                self.values[k].clear();
                self.values[k].extend_from_slice(value);
                self.present[k] = if scalar { self.record } else { NOT_SCALAR };
            }
            match s.get(i)? {
                b',' => i += 1,
                b'}' => return (i + 1 == s.len()).then_some(()),
                _ => return None,
            }
        }
    }
}

/// Sets `bits` to one bit per byte of `s`, set where the byte is a quote, and returns whether `s`
/// is all ASCII. Returns `None`, with `bits` unfinished, when `s` holds a backslash or a control
/// character.
fn mark_quotes(s: &[u8], bits: &mut Vec<u64>) -> Option<bool> {
    bits.clear();
    let mut high = 0;
    let mut blocks = s.chunks_exact(64);
    let mut mark = |m: scan::Marks| {
        high |= m.high;
        bits.push(m.quotes);
        (m.bad == 0).then_some(())
    };
    for block in blocks.by_ref() {
        mark(scan::marks64(block.try_into().unwrap()))?;
    }
    if !blocks.remainder().is_empty() {
        mark(scan::marks(blocks.remainder()))?;
    }
    Some(high == 0)
}

/// Where a string lies in the line, between its quotes, and whether it holds escapes.
struct Span {
    start: usize,
    end: usize,
    escaped: bool,
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

type Scan<T = ()> = Result<T, &'static str>;

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.i += 1;
        }
    }

    fn record(&mut self, fields: &mut Fields) -> Scan {
        self.skip_ws();
        if self.peek() != Some(b'{') {
            return Err("expected a JSON object");
        }
        self.i += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.skip_ws();
                let key = self.string()?;
                self.colon()?;
                match self.wanted(fields, &key) {
                    Some(k) => {
                        let value = &mut fields.values[k];
                        value.clear();
                        fields.present[k] = if self.value_text(value)? { fields.record } else { NOT_SCALAR };
                    }
                    None => self.skip_value(0)?,
                }
                if self.end_of_member(b'}')? {
                    break;
                }
            }
        }
        self.skip_ws();
        if self.i != self.s.len() {
            return Err("trailing characters after the object");
        }
        Ok(())
    }

    fn wanted(&self, fields: &mut Fields, key: &Span) -> Option<usize> {
        let name = if key.escaped {
            fields.scratch.clear();
            decode(&self.s[key.start..key.end], &mut fields.scratch);
            &fields.scratch[..]
        } else {
            &self.s[key.start..key.end]
        };
        fields.names.iter().position(|n| n == name)
    }

    fn colon(&mut self) -> Scan {
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err("expected ':' after a key");
        }
        self.i += 1;
        self.skip_ws();
        Ok(())
    }

    /// After a member or element: true at the closing bracket, false after a comma.
    fn end_of_member(&mut self, close: u8) -> Scan<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            None if close == b'}' => Err("the object is not closed"),
            None => Err("the array is not closed"),
            Some(_) if close == b'}' => Err("expected ',' or '}'"),
            Some(_) => Err("expected ',' or ']'"),
        }
    }

    /// A string starting at the current quote; leaves the position after its closing quote.
    #[inline(always)]
    fn string(&mut self) -> Scan<Span> {
        if self.peek() != Some(b'"') {
            return Err("expected a string");
        }
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        let mut i = self.i;
        loop {
            // Jump to the next quote, backslash or control character, eight bytes at a time.
            let marks = special_bytes(word_at(self.s, i));
            if marks == 0 {
                i += 8;
                continue;
            }
            i += (marks.trailing_zeros() / 8) as usize;
            match self.s.get(i) {
                None => {
                    self.i = self.s.len();
                    return Err("a string is not closed");
                }
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(Span { start, end: i, escaped });
                }
                Some(b'\\') => {
                    escaped = true;
                    match self.s.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'u') if self.s.get(i + 2..i + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) => {
                            i += 6
                        }
                        _ => {
                            self.i = i;
                            return Err("invalid escape in a string");
                        }
                    }
                }
                Some(_) => {
                    self.i = i;
                    return Err("control character in a string");
                }
            }
        }
    }

    /// Writes the text of a scalar value into `out`; returns whether the value was a scalar.
    fn value_text(&mut self, out: &mut Vec<u8>) -> Scan<bool> {
        match self.peek() {
            Some(b'"') => {
                let span = self.string()?;
                let raw = &self.s[span.start..span.end];
                if span.escaped {
                    decode(raw, out);
                } else {
                    out.extend_from_slice(raw);
                }
                if std::str::from_utf8(out).is_err() {
                    return Err("invalid UTF-8 in a string");
                }
                Ok(true)
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number()?;
                out.extend_from_slice(&self.s[start..self.i]);
                Ok(true)
            }
            Some(b't') => self.literal(b"true").map(|()| out.extend_from_slice(b"true")).map(|()| true),
            Some(b'f') => self.literal(b"false").map(|()| out.extend_from_slice(b"false")).map(|()| true),
            _ => self.skip_value(0).map(|()| false),
        }
    }

    fn skip_value(&mut self, depth: usize) -> Scan {
        if depth > MAX_DEPTH {
            return Err("nested too deeply");
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_ws();
                    if close == b'}' {
                        self.string()?;
                        self.colon()?;
                    }
                    self.skip_value(depth + 1)?;
                    if self.end_of_member(close)? {
                        return Ok(());
                    }
                }
            }
            None => Err("a value is missing at the end of the line"),
            Some(_) => Err("expected a value"),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Scan {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err("invalid literal (expected true, false or null)")
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Scan {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err("invalid number");
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err("invalid number");
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

/// Decodes the escapes of a string already checked by [`Scanner::string`]. A lone surrogate
/// becomes U+FFFD.
fn decode(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let simple = match raw[i + 1] {
            b'b' => Some(b'\x08'),
            b'f' => Some(b'\x0c'),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            c => Some(c),
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        let hex =
            |at: usize| raw.get(at..at + 4).and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        let first = hex(i + 2).unwrap_or(0xfffd);
        i += 6;
        let c = if (0xd800..0xdc00).contains(&first) && raw.get(i..i + 2) == Some(b"\\u") {
            match hex(i + 2) {
                Some(second @ 0xdc00..=0xdfff) => {
                    i += 6;
                    char::from_u32(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
                }
                _ => None,
            }
        } else {
            char::from_u32(first)
        };
        let mut utf8 = [0; 4];
        out.extend_from_slice(c.unwrap_or('\u{fffd}').encode_utf8(&mut utf8).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, names: &[&str]) -> Result<Vec<Option<String>>, String> {
        let mut f = Fields::new(names.iter().map(|s| s.to_string()).collect());
        f.read(line.as_bytes())?;
        Ok((0..names.len()).map(|i| f.get(i).map(|v| String::from_utf8(v.to_vec()).unwrap())).collect())
    }

    #[test]
    fn strings_numbers_escapes_and_absent_fields() {
        let got = fields(
            r#" {"user":"a\"b\u00e9\ud83d\ude00","ticket":4217,"n":-3,"x":1.5e3,"b":true,"z":null,"arr":[1,{"user":"no"}]} "#,
            &["user", "ticket", "n", "x", "b", "z", "arr", "missing"],
        );
        let want = [Some("a\"bé😀"), Some("4217"), Some("-3"), Some("1.5e3"), Some("true"), None, None, None];
        assert_eq!(got.unwrap(), want.map(|v| v.map(str::to_string)));
    }

    #[test]
    fn escaped_keys_match_and_last_duplicate_wins() {
        assert_eq!(fields(r#"{"us\u0065r":"bob"}"#, &["user"]).unwrap(), [Some("bob".to_string())]);
        assert_eq!(fields(r#"{"user":"a","user":"b"}"#, &["user"]).unwrap(), [Some("b".to_string())]);
        assert_eq!(fields(r#"{"user":"a","user":null}"#, &["user"]).unwrap(), [None]);
        assert_eq!(fields("{}", &["user"]).unwrap(), [None]);
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_valid() {
        let cases = [
            r#"{"a":1}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            r#"{,}"#,
            r#"{"a":[1,2,]}"#,
            r#"{"a":[]}"#,
            r#"{"a":{}}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1} x"#,
            r#"[1]"#,
            r#""s""#,
            "",
            r#"{"a":[{"b":[null,true,false,"\\",-0.5E+7]}]}"#,
            r#"{"a":{"b":1 "c":2}}"#,
            r#"{1:2}"#,
        ];
        for case in cases {
            let ours = fields(case, &["a"]).is_ok();
            let theirs = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(case).is_ok();
            assert_eq!(ours, theirs, "{case}");
        }
    }

    /// The fast path must reach the same verdict and the same values as the full scanner.
    fn agree_with_full_scanner(line: &str) {
        let names = vec!["a".to_string(), "user".to_string(), "n".to_string()];
        let mut fast = Fields::new(names.clone());
        let fast_result = fast.read(line.as_bytes());
        let mut full = Fields::new(names);
        full.record = 1;
        let full_result = Scanner { s: line.as_bytes(), i: 0 }.record(&mut full);
        assert_eq!(fast_result.is_ok(), full_result.is_ok(), "{line}");
        if fast_result.is_ok() {
            for i in 0..3 {
                assert_eq!(fast.get(i), full.get(i), "{line}");
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_near_misses() {
        let lines = [
            r#"{"a":"x","user":"bob","n":12}"#,
            r#"{"a":"x","user":"bob","n":12} "#,
            r#"{"a":"x","user":"bob","n":012}"#,
            r#"{"a":"x","user":"bob","n":-}"#,
            r#"{"a":"x","user":"bob" ,"n":1}"#,
            r#"{"a":"x","user":"bob","n":1,}"#,
            r#"{"a":"x","user":"bob","n":1}}"#,
            r#"{"a":"x","user":"b"ob"}"#,
            r#"{"a":null,"user":true,"n":false}"#,
            r#"{"a":nul,"user":tru}"#,
            r#"{"a":[1],"user":"bob"}"#,
            r#"{"a":"x""user":"bob"}"#,
            r#"{"a""x"}"#,
            r#"{"a":"x"#,
            r#"{"a":"#,
            r#"{"#,
            r#"{}"#,
            r#"{} "#,
            r#"{"a":"é","user":"ü"}"#,
            "{\"a\":\"tab\there\"}",
        ];
        for line in lines {
            agree_with_full_scanner(line);
        }
        // Quotes on each side of a 64-byte block boundary.
        for pad in 40..80 {
            agree_with_full_scanner(&format!(r#"{{"a":"{}","user":"bob","n":3}}"#, "x".repeat(pad)));
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_on_generated_records(
            line in r#"\{("(a|n|user|x)":("[a-z"\\ ]{0,70}"|-?[0-9.e]{1,3}|true|null|\[\]| ?),?){0,4}\}"#
        ) {
            agree_with_full_scanner(&line);
        }
    }

    #[test]
    fn broken_json_says_what_and_where() {
        let e = fields(r#"{"user":"bob""#, &["user"]).unwrap_err();
        assert_eq!(e, "invalid JSON record: the object is not closed (column 14)");
        assert!(fields("[1,2]", &["user"]).unwrap_err().contains("expected a JSON object"));
        assert!(fields(r#"{"a":1} x"#, &["user"]).unwrap_err().contains("trailing characters"));
        let deep = "{\"a\":".to_string() + &"[".repeat(200) + &"]".repeat(200) + "}";
        assert!(fields(&deep, &["user"]).unwrap_err().contains("nested too deeply"));
        assert!(Fields::new(vec!["a".into()]).read(b"{\"a\":\"\xff\"}").unwrap_err().contains("invalid UTF-8"));
    }
}
