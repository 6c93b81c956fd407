//! The syslog parser and record writer: any line gives one valid JSON object whose `line` is right
//! and whose `message` (or `raw`) comes from the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticky::record::{write_record, LineFormat, Scratch, Year};
use ticky::time::YearGuess;

fuzz_target!(|line: &[u8]| {
    let mut out = Vec::new();
    let mut year = if line.first().is_some_and(|b| b & 1 == 0) {
        Year::Fixed(2025)
    } else {
        Year::Guess(YearGuess::new(1_700_000_000))
    };
    write_record(&mut out, None, 3, line, LineFormat::Syslog, &mut year, None, &mut Scratch::default());
    let value: serde_json::Value = serde_json::from_slice(&out).expect("the record is not valid JSON");
    assert_eq!(value["line"], 3);
    let text = String::from_utf8_lossy(line);
    match value.get("raw") {
        Some(raw) => assert_eq!(raw.as_str().unwrap(), text),
        // A journal entry's message is decoded from its JSON; a syslog line's is its end.
        None if ticky::journal::looks_like_entry(line) => assert!(value["message"].is_string()),
        None => assert!(text.ends_with(value["message"].as_str().unwrap())),
    }
    assert_eq!(value.get("user").is_some(), value.get("level").is_some());
});
