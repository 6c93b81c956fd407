//! The chart above a table whose rows are time buckets: inline SVG, no script, its colours from the
//! page's CSS so that it follows light, dark and print. Every label comes from the table, and so
//! from the log: each is escaped like any cell.

use std::io::Write;

use crate::html::escape;

/// Rows beyond which a table gets no chart: its values are held in memory for it, and a chart of
/// more points than pixels shows nothing more.
pub const MAX_POINTS: usize = 20_000;

/// One line or set of bars.
pub struct Series {
    pub name: Vec<u8>,
    pub values: Vec<f64>,
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

/// The smallest 1, 2 or 5 times a power of ten at or above `max`: the top of the axis.
fn axis_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|&top| top >= max).unwrap_or(10.0 * power)
}

/// A label of the time axis: the bucket's start without seconds and offset (`2026-11-22 10:05`),
/// or without the time at midnight (`2026-11-22`).
fn time_label(label: &[u8]) -> Vec<u8> {
    match label.get(..19) {
        Some(t) if t.ends_with(b"T00:00:00") => label[..10].to_vec(),
        Some(t) if t.ends_with(b":00") && t[10] == b'T' => [&label[..10], b" ", &label[11..16]].concat(),
        _ => label.to_vec(),
    }
}

/// Writes the chart: bars for one series, a line per series for several. `labels` are the rows'
/// time buckets, in order.
pub fn write(out: &mut Vec<u8>, labels: &[Vec<u8>], series: &[Series], unit: Option<&str>) {
    let n = labels.len();
    if n == 0 || series.is_empty() {
        return;
    }
    let max = series.iter().flat_map(|s| s.values.iter()).fold(0f64, |m, &v| if v.is_finite() { m.max(v) } else { m });
    let top = axis_top(max);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let step = plot_w / n as f64;
    let y = |v: f64| TOP + plot_h - (v / top * plot_h).clamp(0.0, plot_h);
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);

    let mut names = Vec::new();
    for (k, s) in series.iter().enumerate() {
        if k > 0 {
            names.extend_from_slice(b", ");
        }
        escape(&mut names, &s.name);
    }
    let _ = write!(out, "<figure class=\"chart\">\n<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"");
    out.extend_from_slice(&names);
    out.extend_from_slice(b" per time bucket, from ");
    escape(out, &time_label(&labels[0]));
    out.extend_from_slice(b" to ");
    escape(out, &time_label(&labels[n - 1]));
    out.extend_from_slice(b"\">\n");
    // The value axis: 0, half and the top, with lines across.
    for frac in [0.0, 0.5, 1.0] {
        let v = top * frac;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"yl\" x=\"{}\" y=\"{:.1}\">",
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        );
        let text = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") };
        out.extend_from_slice(&crate::html::grouped(text.as_bytes()));
        if let (Some(unit), true) = (unit, frac == 1.0) {
            out.push(b' ');
            escape(out, unit.as_bytes());
        }
        out.extend_from_slice(b"</text>\n");
    }
    // The time axis: the first, middle and last buckets.
    let ticks: Vec<usize> = match n {
        1 => vec![0],
        2 => vec![0, 1],
        _ => vec![0, (n - 1) / 2, n - 1],
    };
    for (k, &i) in ticks.iter().enumerate() {
        let anchor = match (k, ticks.len()) {
            (0, 1) => "middle",
            (0, _) => "start",
            (k, len) if k == len - 1 => "end",
            _ => "middle",
        };
        let at = match anchor {
            "start" => LEFT,
            "end" => WIDTH - RIGHT,
            _ => x(i),
        };
        let _ = write!(out, "<text class=\"xl\" x=\"{at:.1}\" y=\"{}\" text-anchor=\"{anchor}\">", HEIGHT - 12.0);
        escape(out, &time_label(&labels[i]));
        out.extend_from_slice(b"</text>\n");
    }
    if series.len() == 1 {
        let width = (step * 0.85).max(0.3);
        out.extend_from_slice(b"<g class=\"s1\">");
        for (i, &v) in series[0].values.iter().enumerate() {
            if v.is_finite() && v > 0.0 {
                let _ = write!(
                    out,
                    "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{width:.2}\" height=\"{:.2}\"/>",
                    x(i) - width / 2.0,
                    y(v),
                    y(0.0) - y(v)
                );
            }
        }
        out.extend_from_slice(b"</g>\n");
    } else {
        for (k, s) in series.iter().enumerate() {
            // A gap (an empty bucket of a stats table) breaks the line.
            let _ = write!(out, "<path class=\"line s{}\" d=\"", k % 4 + 1);
            let mut pen_down = false;
            for (i, &v) in s.values.iter().enumerate() {
                if v.is_finite() {
                    let _ = write!(out, "{}{:.1} {:.1} ", if pen_down { 'L' } else { 'M' }, x(i), y(v));
                    pen_down = true;
                } else {
                    pen_down = false;
                }
            }
            out.extend_from_slice(b"\"/>\n");
        }
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\n</svg>\n",
        WIDTH - RIGHT,
        y(0.0),
        y(0.0)
    );
    out.extend_from_slice(b"<figcaption>");
    for (k, s) in series.iter().enumerate() {
        let _ = write!(out, "<span class=\"key s{}\"></span>", k % 4 + 1);
        escape(out, &s.name);
        out.extend_from_slice(b" ");
    }
    out.extend_from_slice(b"</figcaption>\n</figure>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_at_a_round_number() {
        assert_eq!(axis_top(0.0), 1.0);
        assert_eq!(axis_top(7.0), 10.0);
        assert_eq!(axis_top(10.0), 10.0);
        assert_eq!(axis_top(1234.0), 2000.0);
        assert_eq!(axis_top(0.3), 0.5);
    }

    #[test]
    fn labels_from_the_log_are_escaped() {
        let mut out = Vec::new();
        let labels = vec![b"2026-11-22T10:00:00+01:00".to_vec(), b"<script>".to_vec()];
        write(&mut out, &labels, &[Series { name: b"a\"b".to_vec(), values: vec![1.0, 2.0] }], Some("<ms>"));
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("<script>") && text.contains("&lt;script&gt;") && text.contains("a&quot;b"), "{text}");
        assert!(text.contains("2026-11-22 10:00") && !text.contains("&lt;ms&gt;&lt;"), "{text}");
    }
}
