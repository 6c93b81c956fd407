//! The JSON record reader of ticky-count: never a panic, and every object serde_json accepts is
//! accepted too, with the same string values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticky::json::Fields;

fuzz_target!(|line: &[u8]| {
    let mut fields = Fields::new(vec!["user".into(), "error".into(), "n".into()]);
    let ours = fields.read(line);
    if let Ok(map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
        assert!(ours.is_ok(), "serde_json accepts what we refuse: {ours:?}");
        for (i, name) in ["user", "error"].iter().enumerate() {
            if let Some(serde_json::Value::String(s)) = map.get(*name) {
                // Lone surrogates are where the two differ: serde_json refuses them outright.
                assert_eq!(fields.get(i), Some(s.as_bytes()), "{name}");
            }
        }
    }
});
