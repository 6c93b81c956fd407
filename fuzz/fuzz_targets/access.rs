//! The access log parser and record writer: any line gives one valid JSON object; a line the parser
//! takes has a status of three digits, a time that is ISO 8601, and fields that are pieces of the
//! line; a line it does not take is `raw`, whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticky::access::DurationUnit;
use ticky::record::{write_record, LineFormat, Scratch, Year};

fuzz_target!(|line: &[u8]| {
    let unit = match line.first().map(|b| b % 3) {
        Some(0) => DurationUnit::Seconds,
        Some(1) => DurationUnit::Milliseconds,
        _ => DurationUnit::Microseconds,
    };
    let mut out = Vec::new();
    write_record(&mut out, None, 3, line, LineFormat::Access(unit), &mut Year::Fixed(2025), None, &mut Scratch::default());
    let value: serde_json::Value = serde_json::from_slice(&out).expect("the record is not valid JSON");
    assert_eq!(value["line"], 3);
    let text = String::from_utf8_lossy(line);
    if let Some(raw) = value.get("raw") {
        assert_eq!(raw.as_str().unwrap(), text);
        assert!(ticky::access::parse(line).is_none());
        return;
    }
    let status = value["status"].as_u64().expect("a status");
    assert!(status < 1000);
    let time = value["time"].as_str().unwrap();
    assert_eq!(time.len(), 25, "{time}");
    for key in ["ip", "user", "method", "path", "query", "protocol", "referer", "agent", "vhost"] {
        if let Some(v) = value.get(key) {
            assert!(text.contains(v.as_str().unwrap()), "{key}: {v}");
        }
    }
    if let Some(ms) = value.get("duration_ms") {
        assert!(ms.as_f64().is_some_and(|ms| ms >= 0.0), "{ms}");
    }
});
