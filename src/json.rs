//! Reading JSON Lines records: the values of a few named top-level fields, found without building
//! the whole record. Strings without escapes are borrowed from the line; each value's text goes into
//! a buffer that is reused from record to record, so nothing is allocated per line.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The values of the wanted fields of the last record read.
pub struct Fields {
    names: Vec<String>,
    values: Vec<Vec<u8>>,
    present: Vec<bool>,
}

impl Fields {
    pub fn new(names: Vec<String>) -> Fields {
        let n = names.len();
        Fields { names, values: vec![Vec::new(); n], present: vec![false; n] }
    }

    /// Reads one JSON object. A field is present when it is a string, a number or a boolean; its
    /// value is then its text (`4217` for a number). `null`, arrays and objects count as absent.
    /// On error, returns a message for the user.
    pub fn read(&mut self, line: &[u8]) -> Result<(), String> {
        self.present.fill(false);
        let mut de = serde_json::Deserializer::from_slice(line);
        de.deserialize_map(ObjectVisitor { fields: self }).and_then(|()| de.end()).map_err(|e| describe(&e))
    }

    /// The text of the `i`th wanted field, if the record had it.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.present[i].then(|| self.values[i].as_slice())
    }
}

/// serde_json's message, with the column but without the line (always 1 in JSON Lines).
fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    format!("invalid JSON record: {msg} (column {})", e.column())
}

struct ObjectVisitor<'f> {
    fields: &'f mut Fields,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            match self.fields.names.iter().position(|n| *n == key) {
                Some(i) => {
                    let buf = &mut self.fields.values[i];
                    buf.clear();
                    self.fields.present[i] = map.next_value_seed(ScalarText { buf })?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the line unless it had escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Writes the text of a scalar value into `buf`; yields whether the value was a scalar.
struct ScalarText<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for ScalarText<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarText<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        self.buf.extend_from_slice(v.as_bytes());
        Ok(true)
    }

    fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
        crate::record::write_u64(self.buf, v);
        Ok(true)
    }

    fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
        let _ = write!(self.buf, "{v}");
        Ok(true)
    }

    fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
        let _ = write!(self.buf, "{v}");
        Ok(true)
    }

    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        self.buf.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(true)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
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
            r#"{"user":"a\"b","ticket":4217,"n":-3,"x":1.5,"b":true,"z":null,"arr":[1,{"user":"no"}]}"#,
            &["user", "ticket", "n", "x", "b", "z", "arr", "missing"],
        );
        let want = [Some("a\"b"), Some("4217"), Some("-3"), Some("1.5"), Some("true"), None, None, None];
        assert_eq!(got.unwrap(), want.map(|v| v.map(str::to_string)));
    }

    #[test]
    fn escaped_keys_match() {
        assert_eq!(fields(r#"{"us\u0065r":"bob"}"#, &["user"]).unwrap(), [Some("bob".to_string())]);
    }

    #[test]
    fn broken_json_says_where() {
        let e = fields(r#"{"user":"bob""#, &["user"]).unwrap_err();
        assert!(e.starts_with("invalid JSON record: EOF while parsing an object (column 13)"), "{e}");
        assert!(fields("[1,2]", &["user"]).unwrap_err().contains("expected a JSON object"));
        assert!(fields(r#"{"a":1} x"#, &["user"]).unwrap_err().contains("trailing characters"));
    }
}
