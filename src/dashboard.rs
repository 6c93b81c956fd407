//! `ticky-html --dashboard`: the daily report's index page, from the tables of one day and the
//! totals of the days before it. Headline numbers with their change against the previous day and
//! the average of the seven before, errors per hour and per day as inline SVG, the top errors and
//! users, links to every table and to past days. One page, no script, nothing from another host,
//! at most about 100 KB whatever the input: every list is capped, every chart has at most
//! [`MAX_BARS`] bars, every text from the log is escaped and cut to [`MAX_TEXT`] characters.
//! `--text` writes the same numbers as plain text, for mail.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chart::{self, Series};
use crate::csvio::{self, Row};
use crate::error::{Error, Result};
use crate::html::{begin_page, escape, grouped};
use crate::input;

/// What the dashboard is made of.
#[derive(Clone, Debug)]
pub struct DashboardOptions {
    /// The folder of the day's tables: `history.csv`, `error_message.csv`, `user_statistics.csv`
    /// and, when there, `events_per_hour.csv`.
    pub report: PathBuf,
    /// Past days' tables, as `ticky-publish --export` leaves them: `DIR/DAY/error_message.csv`.
    pub past: Option<PathBuf>,
    /// The day the page is about (`YYYY-MM-DD`): a row of `history.csv`.
    pub day: String,
    /// The period the log covers, as text for the subtitle.
    pub period: Option<String>,
    pub title: String,
    pub subtitle: Option<String>,
    /// What links to past days start with: `days/` from OUTDIR, `../` from a day's own folder.
    pub days_href: String,
    /// A link to the newest report, shown on a past day's page.
    pub latest: Option<String>,
    /// Plain text instead of HTML.
    pub text: bool,
    /// The report's address, for the plain text.
    pub url: Option<String>,
    pub max_line: usize,
}

/// Characters of a log's text shown at most (an error message of a megabyte stays in the CSV).
pub const MAX_TEXT: usize = 160;
/// Rows of each top list.
const TOP: usize = 10;
/// Bars of a chart at most: more buckets are summed in groups.
pub const MAX_BARS: usize = 96;
/// Past days linked at most.
const MAX_DAYS: usize = 62;

/// The history table's columns, by name: `Day` and the day's totals.
const HISTORY: [&str; 6] = ["Day", "Lines", "Not understood", "INFO", "ERROR", "Users"];

/// One day's totals, a row of `history.csv`.
#[derive(Clone, Debug, Default)]
struct Totals {
    day: String,
    lines: f64,
    not_understood: f64,
    info: f64,
    error: f64,
    users: f64,
}

impl Totals {
    fn rate(&self) -> f64 {
        let events = self.info + self.error;
        if events > 0.0 {
            self.error / events * 100.0
        } else {
            0.0
        }
    }
}

/// An error message and its count, with its count the previous day.
struct ErrorRow {
    text: Vec<u8>,
    count: f64,
    before: Option<f64>,
}

/// Everything the page shows.
struct Day {
    today: Totals,
    previous: Option<Totals>,
    /// The average of up to seven days before `today`, and how many there were.
    week: Option<(Totals, usize)>,
    history: Vec<Totals>,
    errors_total: f64,
    distinct_errors: u64,
    top_errors: Vec<ErrorRow>,
    /// The most common error messages the previous day did not have, and how many there are.
    new_errors: Vec<ErrorRow>,
    new_count: u64,
    /// Top users by errors: name, ERROR, INFO.
    top_users: Vec<(Vec<u8>, f64, f64)>,
    hourly: Option<(Vec<Vec<u8>>, Vec<f64>)>,
    links: Vec<(&'static str, &'static str)>,
}

pub fn run(opts: &DashboardOptions, out: &mut impl Write) -> Result<()> {
    let day = gather(opts)?;
    let page = if opts.text { text(opts, &day) } else { page(opts, &day) };
    out.write_all(&page).and_then(|()| out.flush()).map_err(|e| Error::io("writing the page", e))
}

fn read(opts: &DashboardOptions, path: &Path, f: impl FnMut(&Row, &Row) -> Result<()>) -> Result<Option<Row>> {
    let hint = "the dashboard reads the tables of ticky-daily's report folder";
    let inputs = input::open_all(&[path.display().to_string()])?;
    csvio::each_row(inputs, hint, input::record_limit(opts.max_line), f)
}

fn column(header: &Row, name: &str, path: &Path) -> Result<usize> {
    header.iter().position(|h| h == name.as_bytes()).ok_or_else(|| {
        Error::Failed(format!("{}: no column {name:?}; the dashboard needs {}", path.display(), HISTORY.join(",")))
    })
}

fn num(cell: &[u8]) -> f64 {
    std::str::from_utf8(cell).ok().and_then(|s| s.trim().parse::<f64>().ok()).filter(|n| n.is_finite()).unwrap_or(0.0)
}

fn gather(opts: &DashboardOptions) -> Result<Day> {
    let report = &opts.report;
    // The history: one row per day; this page's day and the ones before it.
    let path = report.join("history.csv");
    let mut history: Vec<Totals> = Vec::new();
    let mut cols: Option<Vec<usize>> = None;
    read(opts, &path, |header, row| {
        if cols.is_none() {
            cols = Some(HISTORY.iter().map(|name| column(header, name, &path)).collect::<Result<_>>()?);
        }
        let c = cols.as_ref().expect("set above");
        let day = String::from_utf8_lossy(row.get(c[0])).into_owned();
        if crate::publish::is_day(&day) && day <= opts.day {
            history.push(Totals {
                day,
                lines: num(row.get(c[1])),
                not_understood: num(row.get(c[2])),
                info: num(row.get(c[3])),
                error: num(row.get(c[4])),
                users: num(row.get(c[5])),
            });
        }
        Ok(())
    })?;
    history.sort_by(|a, b| a.day.cmp(&b.day));
    history.dedup_by(|a, b| a.day == b.day);
    let Some(today) = history.iter().find(|t| t.day == opts.day).cloned() else {
        return Err(Error::Failed(format!("{}: no row for the day {}", path.display(), opts.day)));
    };
    let before: Vec<&Totals> = history.iter().filter(|t| t.day < today.day).collect();
    let previous = before.last().map(|t| (*t).clone());
    let week = (!before.is_empty()).then(|| {
        let last: Vec<&&Totals> = before.iter().rev().take(7).collect();
        let n = last.len() as f64;
        let mean = |f: fn(&Totals) -> f64| last.iter().map(|t| f(t)).sum::<f64>() / n;
        let avg = Totals {
            day: String::new(),
            lines: mean(|t| t.lines),
            not_understood: mean(|t| t.not_understood),
            info: mean(|t| t.info),
            error: mean(|t| t.error),
            users: mean(|t| t.users),
        };
        (avg, last.len())
    });

    // The previous day's error messages: counts of the top ones, and a hash of each, to tell the
    // new ones (a hash per message keeps a table of millions in a few megabytes).
    // Seeded at random per process: messages come from logs anyone can write.
    let hasher = foldhash::quality::RandomState::default();
    let prev_errors =
        previous.as_ref().zip(opts.past.as_ref()).map(|(p, dir)| dir.join(&p.day).join("error_message.csv"));
    let prev_errors = prev_errors.filter(|p| p.is_file());
    let mut seen_before: HashSet<u64> = HashSet::new();
    if let Some(path) = &prev_errors {
        read(opts, path, |_, row| {
            seen_before.insert(hasher.hash_one(row.get(0)));
            Ok(())
        })?;
    }

    // The day's errors: the total, the top ones, the top new ones.
    let path = report.join("error_message.csv");
    let (mut errors_total, mut distinct_errors, mut new_count) = (0.0, 0u64, 0u64);
    let mut top_errors: Vec<ErrorRow> = Vec::new();
    let mut new_errors: Vec<ErrorRow> = Vec::new();
    read(opts, &path, |_, row| {
        let count = num(row.get(row.len() - 1));
        errors_total += count;
        distinct_errors += 1;
        keep_top(&mut top_errors, row.get(0), count);
        if prev_errors.is_some() && !seen_before.contains(&hasher.hash_one(row.get(0))) {
            new_count += 1;
            keep_top(&mut new_errors, row.get(0), count);
        }
        Ok(())
    })?;
    if let Some(path) = &prev_errors {
        read(opts, path, |_, row| {
            if let Some(e) = top_errors.iter_mut().find(|e| e.text == row.get(0)) {
                e.before = Some(num(row.get(row.len() - 1)));
            }
            Ok(())
        })?;
    }

    // Users: the top ones by errors.
    let path = report.join("user_statistics.csv");
    let mut top_users: Vec<(Vec<u8>, f64, f64)> = Vec::new();
    let mut user_cols = None;
    read(opts, &path, |header, row| {
        if user_cols.is_none() {
            user_cols = Some((column(header, "INFO", &path)?, column(header, "ERROR", &path)?));
        }
        let (info, error) = user_cols.expect("set above");
        let (info, error) = (num(row.get(info)), num(row.get(error)));
        let better = |u: &(Vec<u8>, f64, f64)| error > u.1 || error == u.1 && row.get(0) < &u.0[..];
        if top_users.len() < TOP || top_users.last().is_some_and(better) {
            let at = top_users.iter().position(better).unwrap_or(top_users.len());
            top_users.insert(at, (cut(row.get(0)), error, info));
            top_users.truncate(TOP);
        }
        Ok(())
    })?;

    // Errors per hour, when the report has them: the column ERROR, or a table's only count.
    let path = report.join("events_per_hour.csv");
    let hourly = if path.is_file() {
        let (mut labels, mut values) = (Vec::new(), Vec::new());
        read(opts, &path, |header, row| {
            let col = header.iter().position(|h| h == b"ERROR").unwrap_or(row.len() - 1);
            labels.push(row.get(0).to_vec());
            values.push(num(row.get(col)));
            Ok(())
        })?;
        Some(grouped_bars(labels, values))
    } else {
        None
    };

    let links = [
        ("error_message.html", "All errors"),
        ("user_statistics.html", "Users by name"),
        ("user_errors.html", "Users by errors"),
        ("error_message.csv", "error_message.csv"),
        ("user_statistics.csv", "user_statistics.csv"),
        ("events_per_hour.csv", "events_per_hour.csv"),
        ("history.csv", "history.csv"),
    ];
    let links = links.into_iter().filter(|(file, _)| report.join(file).is_file()).collect();
    Ok(Day {
        today,
        previous,
        week,
        history,
        errors_total,
        distinct_errors,
        top_errors,
        new_errors,
        new_count,
        top_users,
        hourly,
        links,
    })
}

/// Keeps the [`TOP`] rows of most count, ties by text, in order.
fn keep_top(top: &mut Vec<ErrorRow>, text: &[u8], count: f64) {
    let better = |e: &ErrorRow| count > e.count || count == e.count && text < &e.text[..];
    if top.len() < TOP || top.last().is_some_and(better) {
        let at = top.iter().position(better).unwrap_or(top.len());
        top.insert(at, ErrorRow { text: cut(text), count, before: None });
        top.truncate(TOP);
    }
}

/// The first [`MAX_TEXT`] characters of a text, `…` after a cut; control characters (a terminal's
/// escapes in a mail, say) shown as `?`.
fn cut(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_TEXT {
            out.push('\u{2026}');
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out.into_bytes()
}

/// At most [`MAX_BARS`] bars: consecutive buckets summed in equal groups, each labelled by its
/// first bucket.
fn grouped_bars(labels: Vec<Vec<u8>>, values: Vec<f64>) -> (Vec<Vec<u8>>, Vec<f64>) {
    if labels.len() <= MAX_BARS {
        return (labels, values);
    }
    let size = labels.len().div_ceil(MAX_BARS);
    let labels = labels.into_iter().step_by(size).collect();
    let values = values.chunks(size).map(|c| c.iter().sum()).collect();
    (labels, values)
}

/// `12,345` for a whole number, one decimal otherwise.
fn show(n: f64) -> String {
    let s = if n.fract() == 0.0 && n.abs() < 1e15 { format!("{n:.0}") } else { format!("{n:.1}") };
    String::from_utf8_lossy(&grouped(s.as_bytes())).into_owned()
}

/// How a number changed: an arrow, the difference (in percentage points for a rate, else with
/// the percentage), and whether that is worse, better or neither.
struct Change {
    arrow: &'static str,
    text: String,
    class: &'static str,
}

/// `worse_up`: a rise is bad (errors), good (nothing here) or neither (`None`).
fn change(now: f64, before: f64, rate: bool, worse_up: Option<bool>) -> Change {
    let diff = now - before;
    let tiny = if rate { diff.abs() < 0.05 } else { diff.abs() < 0.5 };
    if tiny {
        return Change { arrow: "=", text: "no change".to_string(), class: "same" };
    }
    let sign = if diff > 0.0 { "+" } else { "\u{2212}" };
    let text = if rate {
        format!("{sign}{:.1} pp", diff.abs())
    } else if before > 0.0 {
        format!("{sign}{} ({sign}{:.1}%)", show(diff.abs().round()), diff.abs() / before * 100.0)
    } else {
        format!("{sign}{}", show(diff.abs().round()))
    };
    let class = match worse_up {
        Some(true) if diff > 0.0 => "worse",
        Some(true) => "better",
        _ => "same",
    };
    Change { arrow: if diff > 0.0 { "\u{25b2}" } else { "\u{25bc}" }, text, class }
}

/// The headline numbers: label, value as shown, value, whether a rise is bad, whether a rate.
fn headlines(t: &Totals) -> [(&'static str, f64, Option<bool>, bool); 6] {
    [
        ("Lines read", t.lines, None, false),
        ("Not understood", t.not_understood, Some(true), false),
        ("INFO events", t.info, None, false),
        ("ERROR events", t.error, Some(true), false),
        ("Error rate", t.rate(), Some(true), true),
        ("Distinct users", t.users, None, false),
    ]
}

fn value(n: f64, rate: bool) -> String {
    if rate {
        format!("{n:.1}%")
    } else {
        show(n)
    }
}

fn push(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

const DASHBOARD_STYLE: &str = r#"
:root { --bad: #b42318; --good: #18794e; }
@media (prefers-color-scheme: dark) { :root { --bad: #ff8a7a; --good: #5fd49a; } }
main { max-width: 72rem; }
nav.links { margin: .25rem 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .75rem;
         margin: 0 0 .75rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.card h2 { font-size: .8rem; font-weight: 600; letter-spacing: .03em; text-transform: uppercase;
           color: var(--muted); margin: 0; }
.card .big { font-size: 1.6rem; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.3; }
.card p { margin: 0; font-size: .85rem; color: var(--muted); }
.card.wide { margin: 0 0 1.5rem; }
.card.wide .big { font-size: 1.1rem; overflow-wrap: anywhere; }
.nw { white-space: nowrap; }
.worse, .card .worse { color: var(--bad); } .better, .card .better { color: var(--good); }
section h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5rem; }
@media (max-width: 48rem) { .cols { grid-template-columns: 1fr; } .card .big { font-size: 1.35rem; } }
.tag { display: inline-block; font-size: .72rem; font-weight: 600; padding: 0 .35rem; border-radius: 3px;
       color: #fff; background: var(--bad); vertical-align: 1px; }
ul.days { columns: 11rem; padding-left: 1.2rem; margin: 0; }
p.note { color: var(--muted); font-size: .875rem; margin-top: 2rem; }
"#;

fn page(opts: &DashboardOptions, d: &Day) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * 1024);
    let heading = format!("{} \u{2014} {}", opts.title, d.today.day);
    begin_page(&mut out, heading.as_bytes(), DASHBOARD_STYLE);
    if let Some(latest) = &opts.latest {
        push(&mut out, "<p class=\"back\"><a href=\"");
        escape(&mut out, latest.as_bytes());
        push(&mut out, "\">\u{2190} Latest report</a></p>\n");
    }
    push(&mut out, "<h1>");
    escape(&mut out, heading.as_bytes());
    push(&mut out, "</h1>\n");
    for line in [&opts.period, &opts.subtitle].into_iter().flatten() {
        push(&mut out, "<p class=\"sub\">");
        escape(&mut out, line.as_bytes());
        push(&mut out, "</p>\n");
    }
    if !d.links.is_empty() {
        push(&mut out, "<nav class=\"links\">");
        for (file, label) in &d.links {
            push(&mut out, &format!("<a href=\"{file}\">{label}</a>"));
        }
        push(&mut out, "</nav>\n");
    }

    // The headline numbers.
    push(&mut out, "<section class=\"cards\" aria-label=\"The day's numbers\">\n");
    let prev = d.previous.as_ref().map(headlines);
    let week = d.week.as_ref().map(|(t, n)| (headlines(t), *n));
    for (i, (label, now, worse_up, rate)) in headlines(&d.today).into_iter().enumerate() {
        push(&mut out, &format!("<div class=\"card\"><h2>{label}</h2><div class=\"big\">{}</div>", value(now, rate)));
        match (&prev, &d.previous) {
            (Some(p), Some(pt)) => {
                let c = change(now, p[i].1, rate, worse_up);
                push(
                    &mut out,
                    &format!(
                        "<p class=\"{}\">{} {} <span class=\"nw\">vs {}</span></p>",
                        c.class, c.arrow, c.text, pt.day
                    ),
                );
            }
            _ => push(&mut out, "<p>first day of the history</p>"),
        }
        if let Some((w, n)) = &week {
            let c = change(now, w[i].1, rate, worse_up);
            let days = if *n == 1 { "1 day".to_string() } else { format!("{n} days") };
            push(
                &mut out,
                &format!(
                    "<p><span class=\"nw\">avg of {days}: {}</span> <span class=\"{}\">{} {}</span></p>",
                    value(if rate { w[i].1 } else { w[i].1.round() }, rate),
                    c.class,
                    c.arrow,
                    c.text
                ),
            );
        }
        push(&mut out, "</div>\n");
    }
    // The top error below the grid: a card spanning it would keep its empty columns from collapsing.
    push(&mut out, "</section>\n");
    if let Some(top) = d.top_errors.first() {
        push(&mut out, "<div class=\"card wide\"><h2>Top error</h2><div class=\"big\">");
        escape(&mut out, &top.text);
        push(&mut out, "</div><p>");
        push(
            &mut out,
            &format!(
                "{} times, {} of {} errors",
                show(top.count),
                share(top.count, d.errors_total),
                show(d.errors_total)
            ),
        );
        push(&mut out, &format!(" ({} distinct messages)</p></div>\n", show(d.distinct_errors as f64)));
    }

    // The charts, side by side on a wide screen.
    push(&mut out, "<div class=\"cols\">\n");
    if let Some((labels, values)) = &d.hourly {
        if !labels.is_empty() {
            push(&mut out, "<section>\n<h2>Errors per hour</h2>\n");
            chart::write(&mut out, labels, &[Series { name: b"ERROR events".to_vec(), values: values.clone() }], None);
            push(&mut out, "</section>\n");
        }
    }
    if !d.history.is_empty() {
        let labels: Vec<Vec<u8>> = d.history.iter().map(|t| t.day.as_bytes().to_vec()).collect();
        let values: Vec<f64> = d.history.iter().map(|t| t.error).collect();
        let (labels, values) = grouped_bars(labels, values);
        push(&mut out, "<section>\n<h2>Errors per day</h2>\n");
        chart::write(&mut out, &labels, &[Series { name: b"ERROR events".to_vec(), values }], None);
        push(&mut out, "</section>\n");
    }
    push(&mut out, "</div>\n");

    // The top lists.
    push(&mut out, "<div class=\"cols\">\n<section>\n<h2>Top errors</h2>\n");
    error_table(&mut out, &d.top_errors, d.errors_total, d.previous.as_ref().map(|p| p.day.as_str()));
    if d.links.iter().any(|(f, _)| *f == "error_message.html") {
        push(
            &mut out,
            &format!(
                "<p><a href=\"error_message.html\">All {} error messages \u{2192}</a></p>\n",
                show(d.distinct_errors as f64)
            ),
        );
    }
    push(&mut out, "</section>\n<section>\n<h2>Top users by errors</h2>\n");
    push(&mut out, "<div class=\"wrap\"><table>\n<thead><tr><th>User</th><th class=\"num\">ERROR</th><th class=\"num\">INFO</th></tr></thead>\n<tbody>\n");
    for (user, error, info) in &d.top_users {
        push(&mut out, "<tr><td>");
        escape(&mut out, user);
        push(
            &mut out,
            &format!("</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n", show(*error), show(*info)),
        );
    }
    push(&mut out, "</tbody>\n</table></div>\n");
    if d.links.iter().any(|(f, _)| *f == "user_errors.html") {
        push(
            &mut out,
            &format!("<p><a href=\"user_errors.html\">All {} users \u{2192}</a></p>\n", show(d.today.users)),
        );
    }
    push(&mut out, "</section>\n</div>\n");

    if let Some(prev) = &d.previous {
        push(&mut out, "<section>\n<h2>New error messages</h2>\n");
        if d.new_errors.is_empty() {
            push(&mut out, &format!("<p class=\"sub\">None: every error message was seen on {} too.</p>\n", prev.day));
        } else {
            push(
                &mut out,
                &format!("<p class=\"sub\">{} message(s) not seen on {}", show(d.new_count as f64), prev.day),
            );
            if d.new_count > d.new_errors.len() as u64 {
                push(&mut out, &format!("; the {} most common", d.new_errors.len()));
            }
            push(&mut out, ".</p>\n");
            error_table(&mut out, &d.new_errors, d.errors_total, None);
        }
        push(&mut out, "</section>\n");
    }

    // Past days, newest first.
    let past: Vec<&Totals> = d.history.iter().rev().filter(|t| t.day != d.today.day).take(MAX_DAYS).collect();
    if !past.is_empty() {
        push(&mut out, "<section>\n<h2>Past days</h2>\n<ul class=\"days\">\n");
        for t in past {
            push(&mut out, "<li><a href=\"");
            escape(&mut out, opts.days_href.as_bytes());
            push(&mut out, &format!("{}/index.html\">{}</a> {} errors</li>\n", t.day, t.day, show(t.error)));
        }
        push(&mut out, "</ul>\n</section>\n");
    }
    push(
        &mut out,
        "<p class=\"note\">In the CSV files, a cell that a spreadsheet would run as a formula (one starting with =, +, \
         \u{2212}, @, a tab or a carriage return) begins with an apostrophe, so it opens as the text it is.</p>\n",
    );
    push(&mut out, "</main>\n</body>\n</html>\n");
    out
}

fn share(count: f64, total: f64) -> String {
    if total > 0.0 {
        format!("{:.1}%", count / total * 100.0)
    } else {
        "\u{2013}".to_string()
    }
}

/// A table of error messages: count, share and, with a previous day, the change or `new`.
fn error_table(out: &mut Vec<u8>, rows: &[ErrorRow], total: f64, previous: Option<&str>) {
    push(out, "<div class=\"wrap\"><table>\n<thead><tr><th>Error</th><th class=\"num\">Count</th><th class=\"num\">Share</th>");
    if let Some(day) = previous {
        push(out, &format!("<th class=\"num\">vs {day}</th>"));
    }
    push(out, "</tr></thead>\n<tbody>\n");
    for e in rows {
        push(out, "<tr><td>");
        escape(out, &e.text);
        push(
            out,
            &format!("</td><td class=\"num\">{}</td><td class=\"num\">{}</td>", show(e.count), share(e.count, total)),
        );
        if previous.is_some() {
            match e.before {
                Some(before) => {
                    let c = change(e.count, before, false, Some(true));
                    push(out, &format!("<td class=\"num {}\">{} {}</td>", c.class, c.arrow, c.text));
                }
                None => push(out, "<td class=\"num\"><span class=\"tag\">new</span></td>"),
            }
        }
        push(out, "</tr>\n");
    }
    push(out, "</tbody>\n</table></div>\n");
}

/// The plain-text summary, for mail: the same numbers, no markup, control characters of the log
/// shown as `?`.
fn text(opts: &DashboardOptions, d: &Day) -> Vec<u8> {
    let mut out = String::new();
    let clean = |s: &str| String::from_utf8_lossy(&cut(s.as_bytes())).into_owned();
    out.push_str(&format!("{} \u{2014} {}\n", clean(&opts.title), d.today.day));
    if let Some(period) = &opts.period {
        out.push_str(&clean(period));
        out.push('\n');
    }
    out.push('\n');
    let prev = d.previous.as_ref().map(headlines);
    for (i, (label, now, worse_up, rate)) in headlines(&d.today).into_iter().enumerate() {
        out.push_str(&format!("{label:<16}{:>12}", value(now, rate)));
        if let (Some(p), Some(pt)) = (&prev, &d.previous) {
            let c = change(now, p[i].1, rate, worse_up);
            out.push_str(&format!("   {} {} vs {}", c.arrow, c.text, pt.day));
        }
        if let Some((w, n)) = &d.week {
            let avg = headlines(w)[i].1;
            out.push_str(&format!(", avg of {n} day(s) {}", value(if rate { avg } else { avg.round() }, rate)));
        }
        out.push('\n');
    }
    out.push_str("\nTop errors:\n");
    for e in &d.top_errors {
        out.push_str(&format!(
            "{:>10}  {:>6}  {}",
            show(e.count),
            share(e.count, d.errors_total),
            String::from_utf8_lossy(&e.text)
        ));
        match (e.before, &d.previous) {
            (Some(before), _) => {
                let c = change(e.count, before, false, Some(true));
                out.push_str(&format!("  ({} {})", c.arrow, c.text));
            }
            (None, Some(_)) => out.push_str("  (new)"),
            _ => {}
        }
        out.push('\n');
    }
    if d.previous.is_some() && d.new_count > 0 {
        out.push_str(&format!("\n{} error message(s) new today", d.new_count));
        out.push_str(if d.new_errors.len() < d.new_count as usize { ", the most common:\n" } else { ":\n" });
        for e in &d.new_errors {
            out.push_str(&format!("{:>10}  {}\n", show(e.count), String::from_utf8_lossy(&e.text)));
        }
    }
    if let Some(url) = &opts.url {
        out.push_str(&format!("\nThe report: {}\n", clean(url)));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_say_direction_size_and_whether_it_is_bad() {
        let c = change(120.0, 100.0, false, Some(true));
        assert_eq!((c.arrow, c.text.as_str(), c.class), ("\u{25b2}", "+20 (+20.0%)", "worse"));
        let c = change(1000.0, 2000.0, false, None);
        assert_eq!((c.arrow, c.text.as_str(), c.class), ("\u{25bc}", "\u{2212}1,000 (\u{2212}50.0%)", "same"));
        let c = change(5.25, 5.0, true, Some(true));
        assert_eq!(c.text, "+0.2 pp");
        assert_eq!(change(7.0, 7.0, false, Some(true)).arrow, "=");
        assert_eq!(change(3.0, 0.0, false, Some(true)).text, "+3");
    }

    #[test]
    fn long_series_are_summed_in_groups() {
        let labels: Vec<Vec<u8>> = (0..200).map(|i| format!("{i}").into_bytes()).collect();
        let (l, v) = grouped_bars(labels, vec![1.0; 200]);
        assert!(l.len() <= MAX_BARS && l.len() == v.len());
        assert_eq!(v.iter().sum::<f64>(), 200.0);
        assert_eq!(l[1], b"3");
    }

    #[test]
    fn texts_are_cut_and_controls_hidden() {
        assert_eq!(cut(b"a\x1b[31mb"), b"a?[31mb");
        let long = "\u{e9}".repeat(500);
        let c = String::from_utf8(cut(long.as_bytes())).unwrap();
        assert_eq!(c.chars().count(), MAX_TEXT + 1);
    }
}
