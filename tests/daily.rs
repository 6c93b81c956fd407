//! scripts/daily.sh end to end: the real tools, a real nginx on 127.0.0.1 serving the published
//! folder, and headless Chromium reading the pages.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{bin_path, repo_root, Workdir};

use common::install_daily as install;

/// Runs the installed script as cron would: an empty environment, from `/`, no terminal.
fn run_as_cron(script: &Path, args: &[&Path]) -> Output {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    daily_with(script, Path::new("/nonexistent"), &args)
}

fn expect_success(out: &Output) {
    assert!(out.status.success(), "daily.sh failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const PUBLISHED: [&str; 11] = [
    "error_message.csv",
    "user_statistics.csv",
    "user_errors.csv",
    "events_per_hour.csv",
    "history.csv",
    "totals.csv",
    "error_message.html",
    "user_statistics.html",
    "user_errors.html",
    "index.html",
    "home.html",
];

/// Where OUTDIR's link of a published file leads: `index.html` shows the run's `home.html`, which
/// has no link of its own.
fn published_as(f: &str) -> Option<PathBuf> {
    match f {
        "home.html" => None,
        "index.html" => Some(Path::new("current/home.html").to_path_buf()),
        f => Some(Path::new("current").join(f)),
    }
}

/// The headline number a dashboard shows for `label`, as it shows it.
fn headline(index: &str, label: &str) -> String {
    let needle = format!("<h2>{label}</h2><div class=\"big\">");
    let at = index.find(&needle).unwrap_or_else(|| panic!("no {label}: {index}"));
    let rest = &index[at + needle.len()..];
    rest[..rest.find('<').unwrap()].to_string()
}

/// What OUTDIR holds after a run: a link per published file, `current` and `runs`.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn expected_entries() -> Vec<String> {
    let mut names: Vec<String> =
        PUBLISHED.iter().filter(|f| published_as(f).is_some()).map(|s| s.to_string()).collect();
    names.extend(["current".to_string(), "runs".to_string(), "days".to_string()]);
    names.sort();
    names
}

#[test]
fn cron_run_publishes_the_seed_tables_readable_by_the_web_server() {
    let wd = Workdir::new("daily-seed");
    let script = install(&wd);
    let out_dir = wd.path("www/ticky");
    let log = repo_root().join("tests/fixtures/syslog.log");
    let out = run_as_cron(&script, &[&log, &out_dir]);
    expect_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("published in"), "{out:?}");

    // The CSVs equal what the tools print for the same log.
    let errors =
        wd.sh(&format!("ticky-parse {} 2>/dev/null | ticky-count --by error --header Error,Count", log.display()));
    assert_eq!(read(&out_dir.join("error_message.csv")), String::from_utf8(errors.stdout).unwrap());
    let users = read(&out_dir.join("user_statistics.csv"));
    assert!(users.starts_with("Username,INFO,ERROR\nac,2,2\nahmed.miller,2,4\n"), "{users}");
    assert!(users.ends_with("sri,2,2\nxlg,0,4\n") && users.lines().count() == 21, "{users}");

    assert_eq!(fs::metadata(&out_dir).unwrap().permissions().mode() & 0o777, 0o755);
    for f in PUBLISHED {
        let Some(target) = published_as(f) else { continue };
        assert_eq!(fs::metadata(out_dir.join(f)).unwrap().permissions().mode() & 0o777, 0o644, "{f}");
        assert_eq!(fs::read_link(out_dir.join(f)).unwrap(), target, "{f}");
    }
    let run = fs::read_link(out_dir.join("current")).unwrap();
    assert!(run.starts_with("runs") && fs::metadata(out_dir.join(&run)).unwrap().is_dir(), "{run:?}");
    // The pages hold the same rows as the CSVs.
    for (page, csv) in [("error_message.html", "error_message.csv"), ("user_statistics.html", "user_statistics.csv")] {
        let html = read(&out_dir.join(page));
        let csv = read(&out_dir.join(csv));
        assert_eq!(html.matches("<tr><td>").count(), csv.lines().count() - 1, "{page}");
        assert!(html.contains("<th scope=\"row\">Total</th>") && html.contains("href=\"index.html\""), "{page}");
        let first = csv.lines().nth(1).unwrap().split(',').next().unwrap().replace('\'', "&#39;");
        assert!(html.contains(&format!("<td>{first}</td>")), "{page} lacks {first}");
    }
    let index = read(&out_dir.join("index.html"));
    assert_eq!((headline(&index, "Lines read"), headline(&index, "Not understood")), ("107".into(), "1".into()));
    assert!(index.contains("href=\"error_message.html\""), "{index}");
    // Nothing of the run is left behind: the links, `current`, and in `runs` the lock and one run.
    assert_eq!(entries(&out_dir), expected_entries());
    assert_eq!(entries(&out_dir.join("runs")).len(), 2, "{:?}", entries(&out_dir.join("runs")));
}

#[test]
fn db_keeps_the_records_once_and_sql_gives_the_published_user_table() {
    let wd = Workdir::new("daily-db");
    let script = install(&wd);
    fs::copy(repo_root().join("tests/fixtures/syslog.log"), wd.path("syslog.1")).unwrap();
    let db = wd.path("logs.db");
    let out = run_as_cron(&script, &[Path::new("--db"), &db, &wd.path("syslog.1"), &wd.path("www")]);
    expect_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("records stored in"), "{out:?}");
    // The same log again, rotated and compressed: stored once.
    assert!(wd.sh("gzip syslog.1").status.success());
    expect_success(&run_as_cron(&script, &[Path::new("--db"), &db, &wd.path("syslog.1.gz"), &wd.path("www")]));
    let query = "select user as Username, \
        sum(case level when 'INFO' then coalesce(repeat, 1) else 0 end) as INFO, \
        sum(case level when 'ERROR' then coalesce(repeat, 1) else 0 end) as ERROR \
        from records where user is not null group by user order by user";
    let out = Command::new("sqlite3").args(["-csv", "-header"]).arg(&db).arg(query).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let by_sql = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
    assert_eq!(by_sql, read(&wd.path("www/user_statistics.csv")));
    let out = Command::new("sqlite3").arg(&db).arg("select count(*) from records").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "107");

    // A database that cannot be written fails the job, with the reason, after publishing.
    fs::write(wd.path("bad.db"), "not a database at all, just text in a file with a name ending in .db\n".repeat(10))
        .unwrap();
    let out = run_as_cron(&script, &[Path::new("--db"), &wd.path("bad.db"), &wd.path("syslog.1.gz"), &wd.path("www2")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a SQLite database") && err.contains("the report was published"), "{err}");
    assert!(wd.path("www2/index.html").exists());
}

#[test]
fn the_design_card_pipeline_works_as_written() {
    let wd = Workdir::new("daily-card");
    fs::copy(repo_root().join("tests/fixtures/syslog.log"), wd.path("syslog.log")).unwrap();
    let out = wd.sh("ticky-parse < syslog.log | ticky-count --by error | ticky-html > errors.html");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = read(&wd.path("errors.html"));
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<th scope=\"col\">error</th>"), "{page}");
    assert!(page.contains("<td>Timeout while retrieving information</td><td class=\"num bar\"><i style=\"width:100.0%\"></i><span>15</span></td>"), "{page}");
    assert_eq!(page.matches("<tr>").count(), 7);
}

#[test]
fn gzipped_log_gives_the_same_report() {
    let wd = Workdir::new("daily-gz");
    let script = install(&wd);
    fs::copy(repo_root().join("tests/fixtures/syslog.log"), wd.path("syslog.log.1")).unwrap();
    let gz = wd.sh("gzip -k syslog.log.1");
    assert!(gz.status.success());
    expect_success(&run_as_cron(&script, &[&wd.path("syslog.log.1"), &wd.path("plain")]));
    expect_success(&run_as_cron(&script, &[&wd.path("syslog.log.1.gz"), &wd.path("gz")]));
    for f in ["error_message.csv", "user_statistics.csv"] {
        assert_eq!(read(&wd.path("plain").join(f)), read(&wd.path("gz").join(f)), "{f}");
    }
}

#[test]
fn failed_runs_leave_the_published_report_unchanged() {
    let wd = Workdir::new("daily-fail");
    let script = install(&wd);
    let out_dir = wd.path("www");
    expect_success(&run_as_cron(&script, &[&repo_root().join("tests/fixtures/syslog.log"), &out_dir]));
    let before: Vec<Vec<u8>> =
        PUBLISHED.iter().filter(|f| published_as(f).is_some()).map(|f| fs::read(out_dir.join(f)).unwrap()).collect();
    let runs_before = entries(&out_dir.join("runs"));
    let unchanged = || {
        for (f, old) in PUBLISHED.iter().filter(|f| published_as(f).is_some()).zip(&before) {
            assert_eq!(&fs::read(out_dir.join(f)).unwrap(), old, "{f} changed");
        }
        assert_eq!(entries(&out_dir), expected_entries());
        assert_eq!(entries(&out_dir.join("runs")), runs_before);
    };

    // A missing log.
    let out = run_as_cron(&script, &[&wd.path("missing.log"), &out_dir]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read log file"), "{out:?}");
    unchanged();

    // A tool that fails half-way: ticky-count replaced by one that reads a little and dies.
    let bin = script.parent().unwrap();
    fs::remove_file(bin.join("ticky-count")).unwrap();
    fs::write(
        bin.join("ticky-count"),
        "#!/bin/sh\nhead -c 10 >/dev/null\necho 'ticky-count: disk on fire' >&2\nexit 1\n",
    )
    .unwrap();
    fs::set_permissions(bin.join("ticky-count"), fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_as_cron(&script, &[&repo_root().join("tests/fixtures/syslog.log"), &out_dir]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("disk on fire") && stderr.contains("unchanged"), "{stderr}");
    unchanged();
    fs::remove_file(bin.join("ticky-count")).unwrap();
    std::os::unix::fs::symlink(bin_path("ticky-count"), bin.join("ticky-count")).unwrap();

    // A log with nothing to report: empty, not syslog, no ticky event, too few lines understood.
    for (name, log, said) in [
        ("empty.log", "", "is empty"),
        ("records.log", "{\"line\":1,\"error\":\"x\"}\n{\"line\":2}\n", "no line of"),
        ("auth.log", "Jan 31 00:09:39 h sshd[1]: Accepted publickey for root\n", "no ticky event"),
    ] {
        let out = run_as_cron(&script, &[&wd.write(name, log), &out_dir]);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("ticky-daily: ") && stderr.contains(said) && stderr.contains("unchanged"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        unchanged();
    }
    let out = run_as_cron(
        &script,
        &[Path::new("--min-lines"), Path::new("500"), &repo_root().join("tests/fixtures/syslog.log"), &out_dir],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("only 106 of 107 lines"), "{out:?}");
    unchanged();

    // A usage error publishes nothing either.
    let out = run_as_cron(&script, &[Path::new("--keep"), Path::new("x"), &out_dir]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    unchanged();
}

#[test]
fn a_one_line_log_gives_a_report_that_says_so() {
    let wd = Workdir::new("daily-tiny");
    let script = install(&wd);
    let out_dir = wd.path("www/one");
    let out = run_as_cron(&script, &[&wd.write("one.log", "Jan 31 00:09:39 h ticky: ERROR Boom (ac)\n"), &out_dir]);
    expect_success(&out);
    let said = "1 line, 0 not fully understood";
    assert!(String::from_utf8_lossy(&out.stdout).contains(said), "{out:?}");
    assert_eq!(headline(&read(&out_dir.join("index.html")), "Lines read"), "1");
    assert_eq!(read(&out_dir.join("error_message.csv")), "Error,Count\nBoom,1\n");
}

#[test]
fn missing_tools_are_named() {
    let wd = Workdir::new("daily-notools");
    let script = wd.path("ticky-daily");
    fs::copy(repo_root().join("scripts/daily.sh"), &script).unwrap();
    let out = run_as_cron(&script, &[&repo_root().join("tests/fixtures/syslog.log"), &wd.path("out")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot find ticky-count"), "{out:?}");
}

/// A real nginx serving `root` on a free port of 127.0.0.1, stopped on drop.
struct Nginx {
    child: Child,
    port: u16,
}

impl Nginx {
    fn start(wd: &Workdir, root: &Path) -> Nginx {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let prefix = wd.path("nginx");
        fs::create_dir_all(prefix.join("tmp")).unwrap();
        let p = prefix.display();
        let conf = format!(
            "worker_processes 1;\ndaemon off;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\nevents {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {p}/tmp/body;\n  proxy_temp_path {p}/tmp/proxy;\n\
             fastcgi_temp_path {p}/tmp/fastcgi;\n  uwsgi_temp_path {p}/tmp/uwsgi;\n  scgi_temp_path {p}/tmp/scgi;\n\
             types {{ text/html html; text/csv csv; }}\n  charset utf-8;\n\
             server {{ listen 127.0.0.1:{port}; root {}; index index.html; }}\n}}\n",
            root.display()
        );
        let conf_path = wd.write("nginx/nginx.conf", conf);
        let nginx = if Path::new("/usr/sbin/nginx").exists() { "/usr/sbin/nginx" } else { "nginx" };
        let child = Command::new(nginx)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nginx (scripts/test.sh installs it): {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen: {}",
                fs::read_to_string(prefix.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// GET over plain HTTP/1.0: the status line and the body.
    fn get(&self, path: &str) -> (String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET /{path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_string(), body.to_string())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT would wait for connections; the test is done with them.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// The text of every `<td>` of the first column of each body row in a DOM dump, unescaped.
fn first_cells(dom: &str) -> Vec<String> {
    let body = &dom[dom.find("<tbody>").expect("no tbody")..dom.find("</tbody>").expect("no end of tbody")];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cell = &row[row.find("<td>").unwrap() + 4..];
            let text = &cell[..cell.find("</td>").unwrap()];
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn nginx_serves_the_report_and_chromium_shows_hostile_names_as_text() {
    let wd = Workdir::new("daily-e2e");
    let script = install(&wd);
    let hostile = [
        "<script>alert(1)</script>",
        "\"quoted\"",
        "smith, john",
        "=HYPERLINK(\"http://x\",\"y\")",
        "<img src=x onerror=alert(2)>",
    ];
    let mut log = String::new();
    for (i, user) in hostile.iter().enumerate() {
        for _ in 0..=i {
            log.push_str(&format!("Jan 31 00:0{i}:00 ubuntu.local ticky: ERROR Connection to DB failed ({user})\n"));
        }
        log.push_str(&format!("Jan 31 00:0{i}:30 ubuntu.local ticky: INFO Created ticket [#1{i}] ({user})\n"));
    }
    let log_path = wd.write("hostile.log", &log);
    // Published under /tmp, which nginx's unprivileged workers can reach whatever the permissions
    // of the checkout: what they read is exactly what the script made readable.
    let www = std::env::temp_dir().join(format!("ticky-e2e-{}", std::process::id()));
    let _ = fs::remove_dir_all(&www);
    fs::create_dir_all(&www).unwrap();
    fs::set_permissions(&www, fs::Permissions::from_mode(0o755)).unwrap();
    let out_dir = www.join("ticky");
    expect_success(&run_as_cron(&script, &[&log_path, &out_dir]));

    let nginx = Nginx::start(&wd, &out_dir);
    for f in PUBLISHED.into_iter().filter(|f| published_as(f).is_some()) {
        let (status, body) = nginx.get(f);
        assert!(status.contains(" 200 "), "{f}: {status}");
        assert_eq!(body.as_bytes(), fs::read(out_dir.join(f)).unwrap(), "{f}");
    }
    let (status, index) = nginx.get("");
    assert!(status.contains(" 200 ") && index.contains("ticky daily report"), "{status}");
    // The CSV people download opens in a spreadsheet as text: the formula a user name carries gets
    // a leading apostrophe there, while the page shows the name exactly.
    let (_, users) = nginx.get("user_statistics.csv");
    assert!(users.contains("\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,4\n"), "{users}");
    assert!(!users.contains("\n\"=HYPERLINK"), "{users}");

    let shots = repo_root().join("target/e2e");
    fs::create_dir_all(&shots).unwrap();
    let dom = String::from_utf8(common::chromium(&["--dump-dom", &nginx.url("user_statistics.html")]).stdout).unwrap();
    let mut expected: Vec<String> = hostile.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(first_cells(&dom), expected, "{dom}");
    assert!(!dom.contains("<script>") && !dom.contains("<img"), "markup from the log became elements: {dom}");
    assert!(dom.contains("<th scope=\"col\">Username</th>"), "{dom}");

    let dom = String::from_utf8(common::chromium(&["--dump-dom", &nginx.url("error_message.html")]).stdout).unwrap();
    assert_eq!(first_cells(&dom), ["Connection to DB failed"]);
    assert!(dom.contains("<span>15</span>"), "{dom}");

    for page in ["index", "error_message", "user_statistics"] {
        let png = shots.join(format!("{page}.png"));
        let _ = fs::remove_file(&png);
        common::chromium(&[
            "--window-size=1000,800",
            &format!("--screenshot={}", png.display()),
            &nginx.url(&format!("{page}.html")),
        ]);
        assert!(fs::metadata(&png).map(|m| m.len() > 1000).unwrap_or(false), "no screenshot {}", png.display());
    }
    drop(nginx);
    fs::remove_dir_all(&www).unwrap();
}

const DAY_ERRORS: [&str; 5] = [
    "Timeout while retrieving information",
    "Connection to DB failed",
    "The ticket was modified while updating",
    "Tried to add information to closed ticket",
    "Permission denied while closing ticket",
];
const NEW_ERROR: &str = "Disk quota exceeded on /var/tickets";

/// What a generated day holds, counted while writing it.
#[derive(Default)]
struct DayTruth {
    lines: u64,
    info: u64,
    error: u64,
    users: std::collections::BTreeSet<String>,
}

/// A day of the ticky service's syslog, 2026-11-DD, in time order: ticky events of twelve users
/// (60% errors), CRON lines, and on day 5 a burst of an error never seen before, from 13:00.
fn day_log(day: u32, rng: &mut common::Rng) -> (String, DayTruth) {
    let mut truth = DayTruth::default();
    let mut log = String::new();
    let n = 300 + 40 * day as u64 + rng.below(50);
    for i in 0..n {
        let secs = i * 86_400 / n;
        let time = format!("Nov {day:2} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let user = format!("user{}", rng.below(12));
        let line = match rng.below(10) {
            0 => format!("{time} ubuntu.local CRON[{}]: (root) CMD (run-parts /etc/cron.hourly)\n", 1000 + i),
            1..=3 => {
                truth.info += 1;
                truth.users.insert(user.clone());
                format!("{time} ubuntu.local ticky: INFO Created ticket [#{i}] ({user})\n")
            }
            _ => {
                truth.error += 1;
                truth.users.insert(user.clone());
                let e = DAY_ERRORS[rng.below(5) as usize];
                format!("{time} ubuntu.local ticky: ERROR {e} ({user})\n")
            }
        };
        log.push_str(&line);
        truth.lines += 1;
        if day == 5 && (13 * 3600..15 * 3600).contains(&secs) {
            truth.error += 1;
            truth.lines += 1;
            truth.users.insert("user0".to_string());
            log.push_str(&format!("{time} ubuntu.local ticky: ERROR {NEW_ERROR} (user0)\n"));
        }
    }
    (log, truth)
}

/// The change a dashboard shows, worked out here: arrow, difference, percentage of before.
fn expected_change(now: u64, before: u64) -> String {
    let diff = now.abs_diff(before);
    let (arrow, sign) = if now > before { ("\u{25b2}", "+") } else { ("\u{25bc}", "\u{2212}") };
    if now == before {
        return "= no change".to_string();
    }
    format!("{arrow} {sign}{} ({sign}{:.1}%)", common::with_commas(diff), diff as f64 * 100.0 / before as f64)
}

/// The daily job as cron runs it: an empty environment but PATH and HOME, no terminal.
fn daily_with(script: &Path, home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new("env")
        .args(["-i", "PATH=/usr/bin:/bin"])
        .arg(format!("HOME={}", home.display()))
        .arg(script)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{out:?}");
    out
}

#[test]
fn seven_days_give_seven_dated_reports_a_history_the_changes_and_the_new_error() {
    let wd = Workdir::new("daily-week");
    let script = install(&wd);
    let www = std::env::temp_dir().join(format!("ticky-week-{}", std::process::id()));
    let _ = fs::remove_dir_all(&www);
    fs::create_dir_all(&www).unwrap();
    fs::set_permissions(&www, fs::Permissions::from_mode(0o755)).unwrap();
    let out_dir = www.join("ticky");
    let mut rng = common::Rng(7);
    let mut truths = Vec::new();
    let mut logs = Vec::new();
    for day in 1..=7u32 {
        let (log, truth) = day_log(day, &mut rng);
        let path = wd.write(&format!("day{day}.log"), &log);
        // The year of RFC 3164 times comes from the file's modification time, as for a rotated log.
        let o = Command::new("touch").arg("-d").arg(format!("2026-11-{day:02} 23:59:59")).arg(&path).output().unwrap();
        assert!(o.status.success(), "{o:?}");
        expect_success(&run_as_cron(&script, &[&path, &out_dir]));
        truths.push(truth);
        logs.push(path);
    }
    // Day 3 again: replaced, not doubled; the newest day stays the published one.
    expect_success(&run_as_cron(&script, &[&logs[2], &out_dir]));

    let days: Vec<String> = (1..=7).map(|d| format!("2026-11-{d:02}")).collect();
    assert_eq!(entries(&out_dir.join("days")), days);
    let history = read(&out_dir.join("history.csv"));
    let mut expected = "Day,Lines,Not understood,INFO,ERROR,Users\n".to_string();
    for (day, t) in days.iter().zip(&truths) {
        expected.push_str(&format!("{day},{},0,{},{},{}\n", t.lines, t.info, t.error, t.users.len()));
    }
    assert_eq!(history, expected);

    // The newest day's dashboard: its numbers, the change against day 6, the average of days 1-6.
    let index = read(&out_dir.join("index.html"));
    let (t7, t6) = (&truths[6], &truths[5]);
    assert!(index.contains("<h1>ticky daily report \u{2014} 2026-11-07</h1>"), "{index}");
    assert_eq!(headline(&index, "ERROR events"), common::with_commas(t7.error));
    assert_eq!(headline(&index, "Lines read"), common::with_commas(t7.lines));
    assert_eq!(headline(&index, "Distinct users"), t7.users.len().to_string());
    let rate = t7.error as f64 * 100.0 / (t7.info + t7.error) as f64;
    assert_eq!(headline(&index, "Error rate"), format!("{rate:.1}%"));
    let card = &index[index.find("<h2>ERROR events</h2>").unwrap()..];
    let card = &card[..card.find("</div>\n").unwrap()];
    assert!(
        card.contains(&format!("{} <span class=\"nw\">vs 2026-11-06", expected_change(t7.error, t6.error))),
        "{card}"
    );
    let mean = truths[..6].iter().map(|t| t.error).sum::<u64>() as f64 / 6.0;
    assert!(card.contains(&format!("avg of 6 days: {}", common::with_commas(mean.round() as u64))), "{card}");
    assert!(index.contains("href=\"days/2026-11-01/index.html\""), "past days are linked from OUTDIR");
    assert_eq!(index.matches("<svg").count(), 2, "errors per hour and per day");

    // Day 5's page, in its own folder: the burst flagged as a new message; links that work there.
    let day5 = read(&out_dir.join("days/2026-11-05/index.html"));
    let row = &day5[day5.find(&format!("<tr><td>{NEW_ERROR}</td>")).expect("the new error in the top 10")..];
    assert!(row[..row.find("</tr>").unwrap()].contains("<span class=\"tag\">new</span>"), "{row}");
    assert!(day5.contains("1 message(s) not seen on 2026-11-04"), "{day5}");
    assert!(day5.contains("href=\"../2026-11-01/index.html\"") && day5.contains("href=\"../../index.html\""));
    assert!(!day5.contains("2026-11-06"), "a day's page shows the history as it stood that day");
    let day6 = read(&out_dir.join("days/2026-11-06/index.html"));
    assert!(day6.contains("None: every error message was seen on 2026-11-05"), "{day6}");

    // Served by nginx, read by Chromium: the numbers on screen, nothing loaded from elsewhere,
    // the past day's folder reachable through its link; screenshots kept for a person to look at.
    let nginx = Nginx::start(&wd, &out_dir);
    let (status, body) = nginx.get("days/2026-11-05/index.html");
    assert!(status.contains(" 200 ") && body == day5, "{status}");
    let dom = String::from_utf8(common::chromium(&["--dump-dom", &nginx.url("")]).stdout).unwrap();
    assert!(dom.contains(&common::with_commas(t7.error)) && dom.contains("Top users by errors"), "{dom}");
    for page in [&index, &day5] {
        assert!(page.len() < 100 * 1024, "{} bytes", page.len());
        for remote in ["http:", "https:", "//", "<script", "<link", "src=", "url("] {
            assert!(!page.replace("</", "").contains(remote), "{remote} in the page");
        }
    }
    let shots = repo_root().join("target/e2e");
    fs::create_dir_all(&shots).unwrap();
    for (scheme, flags) in
        [("light", &[][..]), ("dark", &["--force-dark-mode", "--blink-settings=preferredColorScheme=0"][..])]
    {
        for size in ["1280,900", "390,844"] {
            let png = shots.join(format!("dashboard-{scheme}-{}.png", size.split(',').next().unwrap()));
            let _ = fs::remove_file(&png);
            let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            args.extend([format!("--window-size={size}"), format!("--screenshot={}", png.display()), nginx.url("")]);
            common::chromium(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert!(fs::metadata(&png).map(|m| m.len() > 1000).unwrap_or(false), "no screenshot {}", png.display());
        }
    }
    drop(nginx);

    // Day 7 again with --mail and --archive: the summary reaches a real MTA; the log is kept.
    if let Some(mut server) = common::smtp_sink(&wd) {
        let archive = wd.path("archive");
        fs::create_dir(&archive).unwrap();
        fs::set_permissions(&archive, fs::Permissions::from_mode(0o700)).unwrap();
        let args: Vec<&std::ffi::OsStr> = vec![
            "--mail".as_ref(),
            "ops@example.com".as_ref(),
            "--archive".as_ref(),
            archive.as_os_str(),
            logs[6].as_os_str(),
            out_dir.as_os_str(),
        ];
        expect_success(&daily_with(&script, &wd.dir, &args));
        let mailbox = wd.path("mailbox");
        let wait_for = |what: &str| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !fs::read_to_string(&mailbox).unwrap_or_default().contains(what) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            read(&mailbox)
        };
        let mail = wait_for("The report: ");
        assert!(mail.starts_with("RCPT ops@example.com\n"), "{mail}");
        assert!(mail.contains(&format!("Subject: ticky report 2026-11-07: {} errors", t7.error)), "{mail}");
        let line = mail.lines().find(|l| l.starts_with("ERROR events")).expect("the ERROR line");
        assert!(line.contains(&common::with_commas(t7.error)) && line.contains(&expected_change(t7.error, t6.error)));
        // A failed run mails its error, and publishes nothing.
        let empty = wd.write("empty.log", "");
        let args: Vec<&std::ffi::OsStr> =
            vec!["--mail".as_ref(), "ops@example.com".as_ref(), empty.as_os_str(), out_dir.as_os_str()];
        let o = daily_with(&script, &wd.dir, &args);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        let mail = wait_for("FAILED");
        let failure = &mail[mail.find("Subject: ticky-daily FAILED").expect("the failure's mail")..];
        assert!(failure.contains("is empty: nothing to report"), "{failure}");
        let _ = server.kill();
        let gz = archive.join("day7.log-2026-11-07.gz");
        let o = Command::new("gzip").arg("-dc").arg(&gz).output().unwrap();
        assert_eq!(o.stdout, fs::read(&logs[6]).unwrap(), "{}", gz.display());
    }
    assert_eq!(entries(&out_dir.join("days")).len(), 7);
    fs::remove_dir_all(&www).unwrap();
}

#[test]
fn the_dashboard_stays_small_whatever_the_log() {
    let wd = Workdir::new("daily-huge-keys");
    let script = install(&wd);
    let mut log = String::new();
    for i in 0..3000 {
        let text = format!("{i} {}", "<b>long & hostile</b> ".repeat(100));
        log.push_str(&format!(
            "Jan 31 {:02}:{:02}:00 h ticky: ERROR {text} (user{i}{})\n",
            i / 60 % 24,
            i % 60,
            "x".repeat(300)
        ));
    }
    let out_dir = wd.path("out");
    expect_success(&run_as_cron(&script, &[&wd.write("big.log", &log), &out_dir]));
    let index = fs::read(out_dir.join("index.html")).unwrap();
    assert!(index.len() < 100 * 1024, "{} bytes", index.len());
    assert!(!String::from_utf8_lossy(&index).contains("<b>"), "log text became markup");
}
