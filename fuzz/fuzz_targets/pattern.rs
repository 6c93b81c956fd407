//! Records of lines read by a pattern: any line gives one valid JSON object; a matched line's
//! fields are pieces of the line (a `time` group possibly in ISO 8601 form), its integers digits.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ticky::pattern::{Library, Pattern};
use ticky::record::{write_record, LineFormat, Scratch, Year};

fn patterns() -> &'static [Pattern; 2] {
    static PATTERNS: OnceLock<[Pattern; 2]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let library = Library::shipped();
        [
            Pattern::new("^%{NGINXACCESS}$", &library).unwrap(),
            Pattern::new("%{TIMESTAMP_ISO8601:time} (?P<rest>.*?)(?P<n>[0-9]*)$", &library).unwrap(),
        ]
    })
}

fuzz_target!(|line: &[u8]| {
    let pattern = &patterns()[usize::from(line.first().is_some_and(|b| b & 1 == 1))];
    let mut out = Vec::new();
    write_record(&mut out, None, 3, line, LineFormat::Pattern(pattern), &mut Year::Fixed(2025), None, &mut Scratch::default());
    let value: serde_json::Value = serde_json::from_slice(&out).expect("the record is not valid JSON");
    assert_eq!(value["line"], 3);
    let text = String::from_utf8_lossy(line);
    if let Some(raw) = value.get("raw") {
        assert_eq!(raw.as_str().unwrap(), text);
        return;
    }
    for (key, v) in value.as_object().unwrap().iter().filter(|(k, _)| *k != "line") {
        match v {
            serde_json::Value::String(s) if key == "time" => {
                assert!(text.contains(s.as_str()) || text.contains(&s.replacen('T', " ", 1)[..10]), "{s}")
            }
            serde_json::Value::String(s) => assert!(text.contains(s.as_str()), "{key}: {s}"),
            serde_json::Value::Number(n) => assert!(text.contains(&n.to_string()), "{key}: {n}"),
            other => panic!("{key}: {other}"),
        }
    }
});
