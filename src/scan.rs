//! Finding the bytes that matter in JSON text: sixteen at a time with SSE2 (quotes, backslashes,
//! control characters and bytes above 0x7f), or eight at a time in a word where no vector unit
//! helps. `ticky-parse` asks whether a line needs any escaping at all and where the next byte to
//! escape is; `ticky-count` asks where the quotes of a record are. And two bytes side by side
//! in a short text, and the end of a line, sixteen places at a time.

/// Bytes of a block of up to 64, one bit per byte, the first byte in the lowest bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    pub quotes: u64,
    /// Backslashes and control characters (below 0x20).
    pub bad: u64,
    /// Bytes above 0x7f.
    pub high: u64,
}

/// The marks of `block`, at most 64 bytes (a shorter block is read as if padded with spaces).
#[inline]
pub fn marks(block: &[u8]) -> Marks {
    match <&[u8; 64]>::try_from(block) {
        Ok(full) => marks64(full),
        Err(_) => {
            let mut padded = [b' '; 64];
            padded[..block.len()].copy_from_slice(block);
            marks64(&padded)
        }
    }
}

/// The marks of a whole block of 64 bytes.
#[inline]
pub fn marks64(block: &[u8; 64]) -> Marks {
    let mut m = Marks::default();
    for k in 0..4 {
        let (quotes, bad, high) = marks16(block[16 * k..16 * k + 16].try_into().unwrap());
        m.quotes |= u64::from(quotes) << (16 * k);
        m.bad |= u64::from(bad) << (16 * k);
        m.high |= u64::from(high) << (16 * k);
    }
    m
}

/// True when no byte of `s` needs escaping in a JSON string: printable ASCII other than `"` and
/// `\`.
pub fn is_clean(s: &[u8]) -> bool {
    all_blocks(s, |m| m.quotes | m.bad | m.high == 0)
}

/// True when no byte of `s` but a quote needs escaping in a JSON string: an access log line, whose
/// quotes stand around its fields (a quote inside one comes after a backslash).
pub fn is_clean_but_quotes(s: &[u8]) -> bool {
    all_blocks(s, |m| m.bad | m.high == 0)
}

fn all_blocks(s: &[u8], clean: impl Fn(Marks) -> bool) -> bool {
    let mut blocks = s.chunks_exact(64);
    blocks.by_ref().all(|b| clean(marks64(b.try_into().unwrap()))) && clean(marks(blocks.remainder()))
}

/// Quotes, backslashes or control characters, and high bytes of sixteen bytes. With SSE2, which
/// every x86-64 processor has: on the benchmark's records ticky-count took 0.85 s of CPU with it
/// and 2.3 s with the portable loop below, which the compiler leaves byte by byte.
#[cfg(target_arch = "x86_64")]
fn marks16(b: &[u8; 16]) -> (u16, u16, u16) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86-64, so these instructions exist on every processor this code is
    // built for; the load reads the 16 bytes of `b` and needs no alignment.
    let (quote, bad, high) = unsafe {
        let v = _mm_loadu_si128(b.as_ptr().cast::<__m128i>());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // A byte is at most 0x1f when the smaller of it and 0x1f is itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        (_mm_movemask_epi8(quote), _mm_movemask_epi8(_mm_or_si128(backslash, control)), _mm_movemask_epi8(v))
    };
    (quote as u16, bad as u16, high as u16)
}

#[cfg(not(target_arch = "x86_64"))]
fn marks16(b: &[u8; 16]) -> (u16, u16, u16) {
    let (mut quote, mut bad, mut high) = (0u16, 0u16, 0u16);
    for (k, &c) in b.iter().enumerate() {
        quote |= u16::from(c == b'"') << k;
        bad |= u16::from(c == b'\\' || c < 0x20) << k;
        high |= u16::from(c > 0x7f) << k;
    }
    (quote, bad, high)
}

/// The bytes of `s` from `at` on, eight at a time: a little-endian word, padded past the end with
/// quotes, which [`special_bytes`] marks, so that a scan always stops at the end.
#[inline]
pub fn word_at(s: &[u8], at: usize) -> u64 {
    match s.get(at..at + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap()),
        None => {
            let mut w = [b'"'; 8];
            let rest = s.get(at..).unwrap_or_default();
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// Marks (with its high bit) each byte of a word that is a control character, `"` or `\\`. Bit
/// tricks from "Bit Twiddling Hacks": a byte is zero after XOR with the one sought; a byte below
/// 0x20 borrows when 0x20 is subtracted. A borrow can only spill upwards, so the lowest mark is
/// always exact: `trailing_zeros() / 8` is the index of the first such byte.
#[inline]
pub fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_of = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    zero_of(w ^ (ONES * u64::from(b'"'))) | zero_of(w ^ (ONES * u64::from(b'\\'))) | below_space
}

/// Where the two bytes `pair` first stand side by side in `s`, sixteen places at a time with
/// SSE2: for the few dozen bytes of one message, where a call to memchr or memmem costs more than
/// the search (`[#` of a ticket, `ms` of a request time, in every message ticky-parse reads).
#[inline]
pub fn find_pair(s: &[u8], pair: [u8; 2]) -> Option<usize> {
    let mut at = 0;
    while let Some(window) = s.get(at..at + 17) {
        let marks = pairs16(window.try_into().unwrap(), pair);
        if marks != 0 {
            return Some(at + marks.trailing_zeros() as usize);
        }
        at += 16;
    }
    // The last few bytes: the last window of the text, its places before `at` left out.
    if let Some(start) = s.len().checked_sub(17) {
        let marks = pairs16(s[start..].try_into().unwrap(), pair) >> (at - start);
        return (marks != 0).then(|| at + marks.trailing_zeros() as usize);
    }
    // A text shorter than a window (then `at` is 0).
    let marks = pairs_in_short(s, pair);
    (marks != 0).then(|| marks.trailing_zeros() as usize)
}

/// Where the two bytes `pair` last stand side by side in `s`: [`find_pair`] from the end (the
/// ` (` before a ticky user, a few bytes from the end of its message).
#[inline]
pub fn rfind_pair(s: &[u8], pair: [u8; 2]) -> Option<usize> {
    // A window of 17 bytes ending at `end` holds the places end - 17 ..= end - 2.
    let mut end = s.len();
    while end >= 17 {
        let marks = pairs16(s[end - 17..end].try_into().unwrap(), pair);
        if marks != 0 {
            return Some(end - 17 + (31 - marks.leading_zeros() as usize));
        }
        end -= 16;
    }
    // The places before end - 1: from the first window of the text, or the text padded.
    let marks = match s.get(..17) {
        Some(first) => pairs16(first.try_into().unwrap(), pair),
        None => pairs_in_short(s, pair),
    } & ((1u32 << end.saturating_sub(1)) - 1);
    (marks != 0).then(|| 31 - marks.leading_zeros() as usize)
}

/// Where the first of the bytes `any` is in `s`, sixteen bytes at a time with SSE2 (the end of a
/// host name, of a syslog tag: a byte-by-byte loop was the hottest of parsing a line).
#[inline]
pub fn find_any(s: &[u8], any: [u8; 3]) -> Option<usize> {
    let mut at = 0;
    while let Some(window) = s.get(at..at + 16) {
        let w: &[u8; 16] = window.try_into().unwrap();
        let marks = equal16(w, any[0]) | equal16(w, any[1]) | equal16(w, any[2]);
        if marks != 0 {
            return Some(at + marks.trailing_zeros() as usize);
        }
        at += 16;
    }
    s[at..].iter().position(|c| any.contains(c)).map(|i| at + i)
}

/// Where the first `byte` of `s` is: sixteen bytes at a time with SSE2 for the first 128, then
/// memchr. The end of a line of a log is nearly always that near, and a field of a line nearer
/// still, where memchr's dispatch and setup cost more than the search; a short tail is searched
/// byte by byte.
#[inline]
pub fn find_near(s: &[u8], byte: u8) -> Option<usize> {
    let mut at = 0;
    while at < 128 {
        let Some(window) = s.get(at..at + 16) else {
            return s[at..].iter().position(|&c| c == byte).map(|i| at + i);
        };
        let marks = equal16(window.try_into().unwrap(), byte);
        if marks != 0 {
            return Some(at + marks.trailing_zeros() as usize);
        }
        at += 16;
    }
    bstr::ByteSlice::find_byte(&s[at..], byte).map(|i| at + i)
}

/// One bit for each byte of `b` that is `byte`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn equal16(b: &[u8; 16], byte: u8) -> u32 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is part of x86-64 (see `marks16`); the load reads the 16 bytes of `b`.
    let marks = unsafe {
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(b.as_ptr().cast::<__m128i>()), _mm_set1_epi8(byte as i8)))
    };
    marks as u32
}

#[cfg(not(target_arch = "x86_64"))]
fn equal16(b: &[u8; 16], byte: u8) -> u32 {
    (0..16).fold(0, |m, k| m | u32::from(b[k] == byte) << k)
}

/// [`pairs16`] of a text shorter than a window, padded with a byte that cannot end the pair.
fn pairs_in_short(s: &[u8], pair: [u8; 2]) -> u32 {
    let mut padded = [!pair[1]; 17];
    padded[..s.len()].copy_from_slice(s);
    pairs16(&padded, pair)
}

/// One bit for each of the first sixteen bytes of `b` that, with the byte after it, is `pair`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn pairs16(b: &[u8; 17], pair: [u8; 2]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86-64 (see `marks16`); the loads read bytes 0..16 and 1..17 of `b`.
    let marks = unsafe {
        let here = _mm_loadu_si128(b.as_ptr().cast::<__m128i>());
        let next = _mm_loadu_si128(b.as_ptr().add(1).cast::<__m128i>());
        let first = _mm_cmpeq_epi8(here, _mm_set1_epi8(pair[0] as i8));
        let second = _mm_cmpeq_epi8(next, _mm_set1_epi8(pair[1] as i8));
        _mm_movemask_epi8(_mm_and_si128(first, second))
    };
    marks as u32
}

#[cfg(not(target_arch = "x86_64"))]
fn pairs16(b: &[u8; 17], pair: [u8; 2]) -> u32 {
    (0..16).fold(0, |m, k| m | u32::from(b[k] == pair[0] && b[k + 1] == pair[1]) << k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_pair_and_rfind_pair_agree_with_windows() {
        let pairs = [*b"ms", *b"[#", *b" (", [0, 0], [0xff, 0], [0x80, 0x7f], *b"aa"];
        for len in 0..60 {
            for at in 0..len {
                for pair in pairs {
                    // Around the pair, bytes one off from it, its halves alone and doubled.
                    for filler in [b'x', pair[0], pair[1], pair[0].wrapping_add(1), pair[1].wrapping_sub(1)] {
                        let mut s = vec![filler; len];
                        s[at] = pair[0];
                        if at + 1 < len {
                            s[at + 1] = pair[1];
                        }
                        let first = s.windows(2).position(|w| w == pair);
                        assert_eq!(find_pair(&s, pair), first, "{pair:?} at {at} of {len} in {filler:#x}");
                        // Another pair earlier, which rfind_pair must not take.
                        if at >= 3 {
                            s[at / 2] = pair[0];
                            s[at / 2 + 1] = pair[1];
                        }
                        let last = s.windows(2).rposition(|w| w == pair);
                        assert_eq!(rfind_pair(&s, pair), last, "{pair:?} at {at} of {len} in {filler:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn find_any_agrees_with_position() {
        let any = [b'[', b':', b' '];
        for len in [0, 1, 5, 9, 15, 16, 17, 23, 31, 32, 33, 70] {
            for at in 0..=len {
                for (c, filler) in [(b'[', b'x'), (b':', b'Z'), (b' ', b'\t'), (b' ', 0xff), (b':', 0)] {
                    let mut s = vec![filler; len];
                    if at < len {
                        s[at] = c;
                        s[len - 1] = b'[';
                    }
                    assert_eq!(find_any(&s, any), s.iter().position(|x| any.contains(x)), "{c:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn find_near_agrees_with_position() {
        for len in [0, 1, 15, 16, 17, 127, 128, 129, 143, 144, 300] {
            for at in 0..=len {
                for (c, filler) in [(b'\n', b'x'), (b'\r', b'\n'), (0, 0xff), (0xff, 0xfe)] {
                    let mut s = vec![filler; len];
                    if at < len {
                        s[at] = c;
                        s[len - 1] = c;
                    }
                    assert_eq!(find_near(&s, c), s.iter().position(|&x| x == c), "{c:#x} at {at} of {len}");
                }
            }
        }
    }

    /// What `marks` must say, byte by byte.
    fn expected(block: &[u8]) -> Marks {
        let mut m = Marks::default();
        for (k, &c) in block.iter().enumerate() {
            m.quotes |= u64::from(c == b'"') << k;
            m.bad |= u64::from(c == b'\\' || c < 0x20) << k;
            m.high |= u64::from(c > 0x7f) << k;
        }
        m
    }

    #[test]
    fn every_byte_value_at_every_offset_and_length() {
        for len in [1, 15, 16, 17, 33, 63, 64] {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut block = vec![b'a'; len];
                    block[at] = c;
                    assert_eq!(marks(&block), expected(&block), "{c:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(marks(b""), Marks::default());
    }

    #[test]
    fn clean_means_printable_ascii_without_quote_or_backslash() {
        assert!(is_clean(b""));
        assert!(is_clean("Jan 31 00:09:39 host ticky: INFO Created ticket [#4217] (x) ~\x7f".repeat(3).as_bytes()));
        for bad in ["\"", "\\", "\n", "\t", "\x00", "é", "\u{fffd}"] {
            let line = format!("{}{bad}", "x".repeat(70));
            assert!(!is_clean(line.as_bytes()), "{bad:?}");
        }
    }
}
