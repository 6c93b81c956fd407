//! Property tests of the invariants the tools promise, in process over temporary files: for any
//! bytes, ticky-parse writes exactly one valid JSON record per line; sorting is stable and a
//! permutation of its input; no HTML cell ever carries its raw markup characters. (Counting parts
//! and merging equals counting the whole: tests/count.rs.)

mod common;

use common::Workdir;
use proptest::prelude::*;
use ticky::count::{self, CountOptions, Pivot, ReadOptions};
use ticky::csvio::{self, CsvReader, Row};
use ticky::filter::Condition;
use ticky::html::{self, HtmlOptions};
use ticky::parse::{self, ParseOptions};
use ticky::sort::{self, SortKey};

/// Lines that look like syslog, ticky payloads and plain damage, joined by LF or CRLF.
fn log_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        "(<[0-9]{1,3}>)?(Jan|Feb) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] [a-z]{1,5} (ticky|sshd)(\\[[0-9]{1,6}\\])?: (INFO|ERROR|WARN)? ?[a-z ()\\[#0-9\\]\"\\\\]{0,30}"
            .prop_map(String::into_bytes),
        "(Jan|Feb) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] h (ticky|sshd): message repeated [0-3] times: \\[ ?(INFO|ERROR) [a-z ]{0,8}\\([a-z]{1,3}\\)\\]"
            .prop_map(String::into_bytes),
        "\\{\"__REALTIME_TIMESTAMP\":\"[0-9]{1,16}\",(\"_HOSTNAME\":\"[a-z]{1,4}\",)?\"SYSLOG_IDENTIFIER\":\"(ticky|sshd)\",(\"PRIORITY\":\"[0-9]\",)?\"MESSAGE\":\"(INFO|ERROR) [a-z\\\\ ]{0,8}\\([a-z]{1,3}\\)\"\\}"
            .prop_map(String::into_bytes),
        "(Jan|Feb) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] h (sshd|sudo|su)(\\[[0-9]{1,3}\\])?: (Failed|Accepted) (password|publickey) for (invalid user )?[a-z ]{1,5} from 10\\.0\\.[0-9]\\.[0-9] port [0-9]{1,5} ssh2"
            .prop_map(String::into_bytes),
        "(<1[0-9]>1 )?20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-][01][0-9]:[0-5][0-9])? [a-z-]{1,5} [a-z-]{1,5} [0-9-]{1,3} [-a-z]{1,3} (-|\\[a b=\"c\\]\"\\])? .{0,20}"
            .prop_map(String::into_bytes),
    ];
    (proptest::collection::vec((line, any::<bool>()), 0..30), any::<bool>()).prop_map(|(lines, final_newline)| {
        let mut out = Vec::new();
        for (i, (line, crlf)) in lines.iter().enumerate() {
            out.extend_from_slice(line);
            if i + 1 < lines.len() || final_newline {
                out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            }
        }
        out
    })
}

/// Tables that cover every key of a record, a pivot and a filter. Each asks for some keys only,
/// as a raw log's records are then searched for those only (`record::Wanted`).
fn tables() -> Vec<CountOptions> {
    let by = |f: &str| CountOptions { by: f.split(',').map(String::from).collect(), ..CountOptions::default() };
    let mut tables: Vec<CountOptions> = [
        "error",
        "user,info",
        "time,host",
        "program,pid",
        "facility,severity",
        "message",
        "raw",
        "ticket",
        "level",
        "auth,login",
        "ip,port,method",
    ]
    .map(by)
    .to_vec();
    tables.push(CountOptions {
        pivot: Some(Pivot { field: "level".into(), columns: vec!["INFO".into(), "ERROR".into()] }),
        ..by("user")
    });
    let sshd = Condition::parse("program=sshd").unwrap();
    tables.push(CountOptions { filters: vec![sshd], ..by("message") });
    tables
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn counting_a_raw_log_equals_counting_its_records_on_any_number_of_threads(
        data in log_bytes(),
        threads in 1usize..5,
    ) {
        // A log whose first non-blank byte is `{` is read as JSON Lines: not this property's case.
        let start = data.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(&data);
        prop_assume!(start.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{'));
        let wd = Workdir::new("prop-raw-count");
        let log = wd.write("raw.log", &data).display().to_string();
        let mut records = Vec::new();
        let summary = parse::run(&ParseOptions { year: Some(2025), ..ParseOptions::default() }, std::slice::from_ref(&log), &mut records).unwrap();
        let jsonl = wd.write("records.jsonl", &records).display().to_string();
        // Every file is split, however small, so that part boundaries fall anywhere.
        let read = ReadOptions { year: Some(2025), threads, min_split: 0, ..ReadOptions::default() };
        for table in tables() {
            let table = std::slice::from_ref(&table);
            let mut expected = Vec::new();
            count::run_with(table, &ReadOptions { threads: 1, ..read.clone() }, std::slice::from_ref(&jsonl), &mut expected).unwrap();
            let mut got = Vec::new();
            let outcome = count::run_with(table, &read, std::slice::from_ref(&log), &mut got);
            // A first line ending in ",count" is refused as a table; no other raw log is.
            let Ok(outcome) = outcome else {
                let first = data.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap();
                prop_assert!(first.trim_ascii_end().to_ascii_lowercase().ends_with(b",count"));
                return Ok(());
            };
            prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected), "{:?}", table[0].by);
            let counted = outcome.summary.unwrap_or_default();
            prop_assert_eq!(counted.to_string(), summary.to_string());
        }
    }

    #[test]
    fn any_bytes_give_one_valid_record_per_line(data in log_bytes()) {
        let wd = Workdir::new("prop-parse");
        let path = wd.write("any.log", &data).display().to_string();
        let mut out = Vec::new();
        let summary = parse::run(&ParseOptions { year: Some(2025), ..ParseOptions::default() }, &[path], &mut out).unwrap();
        // Lines end in LF (or CRLF), or in a lone CR when the input's start has CRs and no LF.
        let sep = ticky::input::separator_of(&data, true).unwrap();
        let lines: Vec<&[u8]> = if data.is_empty() {
            vec![]
        } else {
            data.strip_suffix(&[sep]).unwrap_or(&data).split(|&b| b == sep).collect()
        };
        prop_assert_eq!(summary.lines as usize, lines.len());
        let records: Vec<&[u8]> = out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        prop_assert_eq!(records.len(), lines.len());
        for (i, (record, line)) in records.iter().zip(&lines).enumerate() {
            let value: serde_json::Value = serde_json::from_slice(record).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(record))))?;
            prop_assert_eq!(&value["line"], &serde_json::json!(i + 1));
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(raw) = value.get("raw") {
                prop_assert_eq!(raw.as_str().unwrap(), String::from_utf8_lossy(line));
            } else if ticky::journal::looks_like_entry(line) {
                // A journal entry's message is decoded from its JSON.
                prop_assert!(value["message"].is_string());
            } else {
                let message = value["message"].as_str().unwrap();
                prop_assert!(String::from_utf8_lossy(line).ends_with(message), "{message:?} not at the end of {line:?}");
            }
            // A user only ever comes with a level.
            prop_assert_eq!(value.get("user").is_some(), value.get("level").is_some());
        }
    }

    #[test]
    fn sorting_is_a_stable_permutation(
        rows in proptest::collection::vec(("[ab,\"]{0,2}", prop_oneof![Just("10"), Just("9"), Just("-1"), Just("x"), Just("")]), 0..40),
        numeric in any::<bool>(),
        reverse in any::<bool>(),
        // The whole input in memory, or a few rows per run in a temporary file, runs then merged.
        buffer in prop_oneof![Just(sort::DEFAULT_BUFFER), 1usize..300],
    ) {
        let wd = Workdir::new("prop-sort");
        let mut csv = Vec::new();
        csvio::write_row(&mut csv, [&b"key"[..], b"n", b"id"]);
        for (id, (key, n)) in rows.iter().enumerate() {
            csvio::write_row(&mut csv, [key.as_bytes(), n.as_bytes(), id.to_string().as_bytes()]);
        }
        let path = wd.write("in.csv", &csv).display().to_string();
        let keys = [SortKey { column: "n".into(), numeric, reverse }, SortKey { column: "key".into(), numeric: false, reverse: false }];
        let mut out = Vec::new();
        sort::run(&keys, buffer, ticky::input::MAX_LINE, &[path], &mut out).unwrap();

        let mut reader = CsvReader::new(&out[..], "out");
        let mut row = Row::default();
        reader.read_row(&mut row).unwrap();
        let mut sorted = Vec::new();
        while reader.read_row(&mut row).unwrap().is_some() {
            let id: usize = std::str::from_utf8(row.get(2)).unwrap().parse().unwrap();
            prop_assert_eq!((row.get(0), row.get(1)), (rows[id].0.as_bytes(), rows[id].1.as_bytes()));
            sorted.push(id);
        }
        let mut ids = sorted.clone();
        ids.sort_unstable();
        prop_assert_eq!(ids, (0..rows.len()).collect::<Vec<_>>(), "not a permutation");
        // The same order as a stable sort by the same comparison, done here independently.
        let number = |s: &str| s.parse::<f64>().ok();
        let mut expected: Vec<usize> = (0..rows.len()).collect();
        expected.sort_by(|&a, &b| {
            let (x, y) = (rows[a].1, rows[b].1);
            let by_n = if numeric {
                match (number(x), number(y)) {
                    (Some(p), Some(q)) => p.partial_cmp(&q).unwrap(),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => x.cmp(y),
                }
            } else {
                x.cmp(y)
            };
            let by_n = if reverse { by_n.reverse() } else { by_n };
            by_n.then_with(|| rows[a].0.cmp(&rows[b].0))
        });
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn html_cells_never_carry_raw_markup(cells in proptest::collection::vec(prop_oneof![any::<String>(), "[0-9]{1,3}"], 1..8)) {
        let wd = Workdir::new("prop-html");
        let mut csv = Vec::new();
        csvio::write_row(&mut csv, [&b"cell"[..]]);
        for cell in &cells {
            csvio::write_row(&mut csv, [cell.as_bytes()]);
        }
        let path = wd.write("in.csv", &csv).display().to_string();
        let mut page = Vec::new();
        html::run(&HtmlOptions { max_rows: 0, ..HtmlOptions::titled("<t>") }, &[path], &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        let body = &page[page.find("<tbody>").unwrap() + 7..page.find("</tbody>").unwrap()];
        let mut texts = Vec::new();
        for row in body.split("<tr>").skip(1) {
            let cell = row.trim_end().strip_suffix("</tr>").unwrap();
            let open = cell.find('>').unwrap() + 1;
            let mut text = cell[open..].strip_suffix("</td>").unwrap();
            // The first numeric column carries its bar before the text.
            if let Some(bar) = text.strip_prefix("<i style=\"width:") {
                text = bar.split_once("%\"></i><span>").unwrap().1.strip_suffix("</span>").unwrap();
            }
            prop_assert!(!text.contains(['<', '>', '"', '\'']), "raw markup in {text:?}");
            for (at, _) in text.match_indices('&') {
                let rest = &text[at..];
                prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| rest.starts_with(e)), "bare & in {text:?}");
            }
            texts.push(text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&"));
        }
        // Blank rows are skipped by CSV readers; every other cell comes back exactly.
        let kept: Vec<String> = cells.into_iter().filter(|c| !c.is_empty()).collect();
        let shown: Vec<String> = texts.into_iter().filter(|c| !c.is_empty()).collect();
        prop_assert_eq!(shown, kept);
    }
}
