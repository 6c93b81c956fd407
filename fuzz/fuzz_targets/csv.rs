//! The CSV reader: never a panic, and what it reads, written back and read again, is the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticky::csvio::{write_row, CsvReader, Row};

fuzz_target!(|data: &[u8]| {
    let mut reader = CsvReader::new(data, "fuzz");
    let mut row = Row::default();
    let mut rows = Vec::new();
    while let Ok(Some(_)) = reader.read_row(&mut row) {
        rows.push(row.clone());
    }
    let mut written = Vec::new();
    for r in &rows {
        write_row(&mut written, r.iter());
    }
    let mut again = CsvReader::new(&written[..], "again");
    for r in &rows {
        assert!(again.read_row(&mut row).unwrap().is_some());
        assert_eq!(&row, r);
    }
    assert!(again.read_row(&mut row).unwrap().is_none());
});
