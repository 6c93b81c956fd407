//! The JSON record reader of ticky-count: never a panic, and every object serde_json accepts is
//! accepted too, with the same string values, and what we accept serde_json accepts too, except
//! where we are knowingly lenient (invalid UTF-8 in fields nobody asked for, lone surrogates) or
//! serde_json is strict for its own reasons (numbers too large for an f64, its nesting limit).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticky::json::Fields;

fuzz_target!(|line: &[u8]| {
    let mut fields = Fields::new(vec!["user".into(), "error".into(), "n".into()]);
    let ours = fields.read(line);
    let theirs = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line);
    if let Ok(map) = theirs {
        assert!(ours.is_ok(), "serde_json accepts what we refuse: {ours:?}");
        for (i, name) in ["user", "error"].iter().enumerate() {
            if let Some(serde_json::Value::String(s)) = map.get(*name) {
                // Lone surrogates are where the two differ: serde_json refuses them outright.
                assert_eq!(fields.get(i), Some(s.as_bytes()), "{name}");
            }
        }
    } else if let Err(e) = theirs {
        let own_reasons = ["out of range", "recursion limit"].iter().any(|r| e.to_string().contains(r));
        if std::str::from_utf8(line).is_ok() && !line.windows(2).any(|w| w == b"\\u") && !own_reasons {
            assert!(ours.is_err(), "we accept what serde_json refuses: {e}");
        }
    }
});
