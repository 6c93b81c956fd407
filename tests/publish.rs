//! ticky-publish and the daily job's publishing step, as an attacker and a kill would try them: a real
//! second user (`www-data`) racing the job in a folder it can write, links planted under every name,
//! a held lock, and SIGKILL at random instants with the published set checked after each.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{bin_path, repo_root, Workdir};

const PUBLISHED: [&str; 5] =
    ["error_message.csv", "user_statistics.csv", "error_message.html", "user_statistics.html", "index.html"];

fn publish(wd: &Workdir, args: &[&Path]) -> Output {
    let mut cmd = wd.command("ticky-publish");
    cmd.args(args);
    wd.output(&mut cmd, "")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A source folder with the given files.
fn source(wd: &Workdir, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = wd.path(name);
    fs::create_dir_all(&dir).unwrap();
    for (f, text) in files {
        fs::write(dir.join(f), text).unwrap();
    }
    dir
}

#[test]
fn publish_switches_the_set_keeps_the_last_runs_and_never_removes_other_names() {
    let wd = Workdir::new("publish-layout");
    let a = source(&wd, "a", &[("index.html", "A page\n"), ("t.csv", "Error,Count\nx,1\n")]);
    let b = source(&wd, "b", &[("index.html", "B page\n"), ("t.csv", "Error,Count\ny,2\n")]);
    let out = wd.path("www/out");
    fs::create_dir_all(wd.path("www")).unwrap();
    // An existing folder keeps its mode.
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o750)).unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();
    fs::create_dir_all(out.join("runs/not-a-run")).unwrap();

    let mut runs_seen = Vec::new();
    for (i, src) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let o = publish(&wd, &[Path::new("--keep"), Path::new("2"), src, &out]);
        assert!(o.status.success(), "{o:?}");
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{o:?}");
        let expected = if i % 2 == 0 { "A page\n" } else { "B page\n" };
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), expected);
        assert_eq!(fs::read_link(out.join("t.csv")).unwrap(), Path::new("current/t.csv"));
        let run = fs::read_link(out.join("current")).unwrap();
        runs_seen.push(run.file_name().unwrap().to_string_lossy().into_owned());
        for f in ["index.html", "t.csv"] {
            let meta = fs::metadata(out.join(f)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{f}");
        }
        assert_eq!(fs::metadata(out.join(&run)).unwrap().permissions().mode() & 0o777, 0o755);
    }
    // Every run got its own folder; the two newest are kept, with the lock and the stranger.
    runs_seen.dedup();
    assert_eq!(runs_seen.len(), 5, "{runs_seen:?}");
    let mut kept = vec![".lock".to_string(), "not-a-run".to_string()];
    kept.extend(runs_seen[3..].iter().cloned());
    kept.sort();
    assert_eq!(entries(&out.join("runs")), kept);
    assert_eq!(fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o750);
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert_eq!(fs::metadata(out.join("runs/.lock")).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn days_are_kept_replaced_never_doubled_and_exported_only_from_the_jobs_own_files() {
    let wd = Workdir::new("publish-days");
    let out = wd.path("out");
    let day = |name: &str, text: &str| {
        source(
            &wd,
            &format!("src-{name}-{}", text.len()),
            &[("index.html", text), ("home.html", text), ("t.csv", text)],
        )
    };
    let run = |src: &Path, d: &str, keep: &str| {
        let o = publish(
            &wd,
            &[
                Path::new("--day"),
                Path::new(d),
                Path::new("--home"),
                Path::new("home.html"),
                Path::new("--keep"),
                Path::new(keep),
                src,
                &out,
            ],
        );
        assert!(o.status.success(), "{o:?}");
    };
    for (i, d) in ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"].iter().enumerate() {
        run(&day(d, &format!("{d} first\n")), d, "3");
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), format!("{d} first\n"), "run {i}");
    }
    // Four days, three kept; the oldest day's link and run folder are gone.
    assert_eq!(entries(&out.join("days")), ["2026-11-02", "2026-11-03", "2026-11-04"]);
    assert_eq!(entries(&out.join("runs")).len(), 4, "three runs and the lock");
    assert_eq!(fs::read_link(out.join("index.html")).unwrap(), Path::new("current/home.html"));
    assert!(!out.join("home.html").exists(), "--home's own name is not published");
    // An older day again: that day replaced, the published page still the newest day's.
    run(&day("2026-11-03", "2026-11-03 again\n"), "2026-11-03", "3");
    assert_eq!(fs::read_to_string(out.join("days/2026-11-03/index.html")).unwrap(), "2026-11-03 again\n");
    assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "2026-11-04 first\n");
    assert_eq!(entries(&out.join("days")).len(), 3);
    assert_eq!(entries(&out.join("runs")).len(), 4, "the replaced run folder is removed");

    // Export: every kept day's files, as published (CSV made spreadsheet-safe by then).
    let export = |dest: &str| {
        let mut cmd = wd.command("ticky-publish");
        cmd.args(["--export", dest, "--file", "t.csv", "--file", "missing.csv"]).arg(&out);
        wd.output(&mut cmd, "")
    };
    let o = export("exp");
    assert!(o.status.success(), "{o:?}");
    assert_eq!(entries(&wd.path("exp")), ["2026-11-02", "2026-11-03", "2026-11-04"]);
    assert_eq!(fs::read_to_string(wd.path("exp/2026-11-03/t.csv")).unwrap(), "2026-11-03 again\n");
    assert_eq!(entries(&wd.path("exp/2026-11-03")), ["t.csv"]);
    // A file replaced by a link to a secret is refused, not followed.
    fs::write(wd.path("secret"), "secret\n").unwrap();
    let run_dir = fs::canonicalize(out.join("days/2026-11-02")).unwrap();
    fs::remove_file(run_dir.join("t.csv")).unwrap();
    std::os::unix::fs::symlink(wd.path("secret"), run_dir.join("t.csv")).unwrap();
    let o = export("exp2");
    assert!(!o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("t.csv"), "{o:?}");
    assert!(!wd.path("exp2/2026-11-02/t.csv").exists());
    // A folder others can write is not trusted either.
    fs::remove_file(run_dir.join("t.csv")).unwrap();
    fs::set_permissions(out.join("days"), fs::Permissions::from_mode(0o777)).unwrap();
    let o = export("exp3");
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("written by others"), "{o:?}");
    // No OUTDIR yet: nothing to export, no error.
    let mut cmd = wd.command("ticky-publish");
    cmd.args(["--export", "exp4", "--file", "t.csv", "nowhere"]);
    assert!(wd.output(&mut cmd, "").status.success());
    // A day that is not a date is refused before anything is written.
    let o = publish(&wd, &[Path::new("--day"), Path::new("2026-02-30"), &day("x", "x"), &wd.path("out2")]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(!wd.path("out2").exists());
}

#[test]
fn published_csv_is_safe_in_a_spreadsheet_unless_asked_for_exact() {
    let wd = Workdir::new("publish-csv");
    let csv =
        "Username,INFO,ERROR\n\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,2\n@SUM(A1),0,1\n-3,-3,4\n\"+1, 2\",1,1\n";
    let src = source(&wd, "src", &[("users.csv", csv), ("page.html", "=not a csv\n")]);
    let safe = wd.path("safe");
    let exact = wd.path("exact");
    assert!(publish(&wd, &[&src, &safe]).status.success());
    assert!(publish(&wd, &[Path::new("--exact-csv"), &src, &exact]).status.success());
    assert_eq!(
        fs::read_to_string(safe.join("users.csv")).unwrap(),
        "Username,INFO,ERROR\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,2\n'@SUM(A1),0,1\n-3,-3,4\n\"'+1, 2\",1,1\n"
    );
    assert_eq!(fs::read_to_string(exact.join("users.csv")).unwrap(), csv);
    assert_eq!(fs::read_to_string(safe.join("page.html")).unwrap(), "=not a csv\n");
}

#[test]
fn publish_refuses_what_it_cannot_do_safely() {
    let wd = Workdir::new("publish-refuse");
    let src = source(&wd, "src", &[("index.html", "page\n")]);
    // OUTDIR a link: refused, and nothing is written where it points.
    let elsewhere = wd.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, wd.path("link")).unwrap();
    let o = publish(&wd, &[&src, &wd.path("link")]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a symbolic link"), "{o:?}");
    assert!(entries(&elsewhere).is_empty());

    // A name the layout uses, a hidden file, a folder in the source: refused before OUTDIR is touched.
    let out = wd.path("out");
    for (name, what) in [("current", "cannot publish"), (".hidden", "cannot publish"), ("sub", "not a regular file")] {
        let bad = source(&wd, &format!("bad-{name}"), &[("index.html", "x")]);
        if name == "sub" {
            fs::create_dir(bad.join(name)).unwrap();
        } else {
            fs::write(bad.join(name), "x").unwrap();
        }
        let o = publish(&wd, &[&bad, &out]);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(what), "{name}: {o:?}");
        assert!(!out.exists());
    }
    let empty = source(&wd, "empty", &[]);
    assert!(String::from_utf8_lossy(&publish(&wd, &[&empty, &out]).stderr).contains("no file to publish"));

    // A folder where a published link belongs: the run fails and says so.
    fs::create_dir_all(out.join("index.html")).unwrap();
    let o = publish(&wd, &[&src, &out]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a folder where the published link belongs"), "{o:?}");

    // Usage errors.
    let o = publish(&wd, &[&src]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = publish(&wd, &[Path::new("--keep"), Path::new("0"), &src, &out]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn a_held_lock_makes_a_second_publisher_wait_then_give_up() {
    let wd = Workdir::new("publish-lock");
    let src = source(&wd, "src", &[("index.html", "page\n")]);
    let out = wd.path("out");
    assert!(publish(&wd, &[&src, &out]).status.success());
    let before = fs::read_link(out.join("current")).unwrap();
    let lock = fs::OpenOptions::new().read(true).write(true).open(out.join("runs/.lock")).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let start = Instant::now();
    let o = publish(&wd, &[Path::new("--wait"), Path::new("1"), &src, &out]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    assert!(String::from_utf8_lossy(&o.stderr).contains("another run has been publishing"), "{o:?}");
    assert_eq!(fs::read_link(out.join("current")).unwrap(), before);
    drop(lock);
    assert!(publish(&wd, &[Path::new("--wait"), Path::new("1"), &src, &out]).status.success());
}

// ---------------------------------------------------------------------------------------------
// A real second user. These tests need root (to be the job) and the www-data user (to attack).

const ATTACKER: &str = "www-data";
/// The system's Python, which the attacker can run (a Python of root's own may be out of its reach).
const PYTHON: &str = "/usr/bin/python3";

fn can_attack() -> bool {
    let root = rustix::process::geteuid().is_root();
    let user = Command::new("id").arg(ATTACKER).output().map(|o| o.status.success()).unwrap_or(false);
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    let python = Path::new(PYTHON).exists();
    if !(root && user && setpriv && python) {
        eprintln!(
            "skipped: needs root, the user {ATTACKER}, setpriv and {PYTHON} \
             (root {root}, user {user}, setpriv {setpriv}, python {python})"
        );
    }
    root && user && setpriv && python
}

/// A command run as the attacker, with no supplementary groups.
fn as_attacker(program: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", ATTACKER, "--regid", ATTACKER, "--clear-groups", "--", program]);
    cmd
}

/// A playground under the system's temporary folder (which the attacker can reach): a root-only
/// secret folder and file, a root-only file and folder beside them, and `www`, the attacker's own
/// folder, that holds OUTDIR.
struct Playground {
    base: PathBuf,
    attacker_uid: u32,
}

impl Playground {
    fn new(name: &str) -> Playground {
        let base = std::env::temp_dir().join(format!("ticky-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(base.join("secret")).unwrap();
        fs::write(base.join("secret/key"), "root's secret\n").unwrap();
        fs::set_permissions(base.join("secret/key"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(base.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::write(base.join("target.txt"), "root-only file\n").unwrap();
        fs::set_permissions(base.join("target.txt"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::create_dir(base.join("victim")).unwrap();
        fs::write(base.join("victim/index.html"), "victim's page\n").unwrap();
        let uid = String::from_utf8(Command::new("id").args(["-u", ATTACKER]).output().unwrap().stdout).unwrap();
        let attacker_uid: u32 = uid.trim().parse().unwrap();
        fs::create_dir(base.join("www")).unwrap();
        std::os::unix::fs::chown(base.join("www"), Some(attacker_uid), Some(attacker_uid)).unwrap();
        Playground { base, attacker_uid }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// OUTDIR made by the attacker: a web folder the web server's user can write.
    fn attacker_outdir(&self) -> PathBuf {
        let out = self.path("www/ticky");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::chown(&out, Some(self.attacker_uid), Some(self.attacker_uid)).unwrap();
        out
    }

    /// Bytes, mode and owner of everything outside OUTDIR that the job must never touch.
    fn snapshot(&self) -> Vec<(String, Vec<u8>, u32, u32, u64)> {
        let mut shot = Vec::new();
        for name in ["secret", "secret/key", "target.txt", "victim", "victim/index.html"] {
            let path = self.path(name);
            let meta = fs::symlink_metadata(&path).unwrap();
            let bytes = if meta.is_file() { fs::read(&path).unwrap() } else { entries(&path).join("/").into_bytes() };
            shot.push((name.to_string(), bytes, meta.mode(), meta.uid(), meta.mtime() as u64));
        }
        shot
    }
}

impl Drop for Playground {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.base);
        }
    }
}

use common::install_daily;

fn daily(script: &Path, log: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(script);
    cmd.arg(log).arg(out).env_clear().env("PATH", "/usr/bin:/bin").current_dir("/").stdin(Stdio::null());
    cmd
}

/// The attacker's racing loop: over and over, every entry of OUTDIR (and the names the job uses) is
/// renamed away and replaced by a link to a root-only file, a link to a root-only folder, a FIFO or
/// a folder of the attacker's; now and then OUTDIR itself is swapped for a link to the secret folder.
/// Names given after the seed are spared, and `gentle` plants no folders and pauses between rounds,
/// so that the job gets further than its first refusal.
const RACER: &str = r#"
import os, random, sys, time
outdir, target, victim, secret, stop = sys.argv[1:6]
names = ["current", "runs", "index.html", "error_message.csv", "user_statistics.csv",
         "error_message.html", "user_statistics.html", ".lock"]
random.seed(int(sys.argv[6]))
spare = sys.argv[7:]
gentle = "gentle" in spare
rounds = 0
deadline = time.time() + 120
while not os.path.exists(stop) and time.time() < deadline:
    rounds += 1
    try:
        found = os.listdir(outdir)
    except OSError:
        found = []
    for name in set(found) | set(names):
        if name.startswith(".moved-") or name in spare:
            continue
        p = os.path.join(outdir, name)
        try:
            if os.path.lexists(p):
                os.rename(p, os.path.join(outdir, ".moved-%d-%s" % (rounds % 50, name)))
        except OSError:
            pass
        r = random.random()
        try:
            if r < 0.35:
                os.symlink(target, p)
            elif r < 0.7:
                os.symlink(victim if random.random() < 0.5 else secret, p)
            elif r < 0.85 or gentle:
                os.mkfifo(p)
            else:
                os.mkdir(p)
        except OSError:
            pass
    if random.random() < 0.2:
        try:
            os.rename(outdir, outdir + ".away")
            os.symlink(secret, outdir)
            time.sleep(0.0005)
            os.unlink(outdir)
            os.rename(outdir + ".away", outdir)
        except OSError:
            pass
    if gentle:
        time.sleep(0.002)
print(rounds)
"#;

#[test]
fn a_second_user_racing_the_job_never_reaches_a_file_outside_outdir() {
    if !can_attack() {
        return;
    }
    let wd = Workdir::new("attack-race");
    let play = Playground::new("attack-race");
    let script = install_daily(&wd);
    let log = repo_root().join("tests/fixtures/syslog.log");
    let out = play.attacker_outdir();
    let racer = play.path("racer.py");
    fs::write(&racer, RACER).unwrap();
    fs::set_permissions(&racer, fs::Permissions::from_mode(0o644)).unwrap();
    let before = play.snapshot();

    let src = wd.path("report");
    fs::create_dir_all(&src).unwrap();
    for f in PUBLISHED {
        fs::write(src.join(f), format!("{f} of the job\n")).unwrap();
    }
    // First `runs` is spared, so the job gets as far as switching and pruning under the race; then
    // everything is fair game.
    for (phase, spare) in [("runs spared", &["runs", "gentle"][..]), ("all names", &[][..])] {
        let stop = play.path("www/stop");
        let _ = fs::remove_file(&stop);
        let attacker = as_attacker(PYTHON)
            .arg(&racer)
            .arg(&out)
            .arg(play.path("target.txt"))
            .arg(play.path("victim"))
            .arg(play.path("secret"))
            .arg(&stop)
            .arg("7")
            .args(spare)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the attacker");
        let (mut ok, mut refused) = (0, 0);
        // A hundred runs, then more until the phase proved something: in the gentle phase one got
        // through, in the other the attacker got in the way of one (a slow attacker can miss a
        // hundred runs on a busy machine).
        for i in 0..400 {
            if i >= 100 && (if spare.is_empty() { refused > 0 } else { ok > 0 }) {
                break;
            }
            // Mostly the publishing step itself, the part that touches OUTDIR; some whole daily runs.
            let o = if i % 10 == 0 {
                daily(&script, &log, &out).output().unwrap()
            } else {
                Command::new(bin_path("ticky-publish")).args(["--wait", "5"]).arg(&src).arg(&out).output().unwrap()
            };
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            match o.status.code() {
                Some(0) => ok += 1,
                Some(1) => refused += 1,
                _ => panic!("unexpected exit: {o:?}"),
            }
        }
        fs::write(&stop, "").unwrap();
        let rounds = String::from_utf8(attacker.wait_with_output().unwrap().stdout).unwrap();
        eprintln!(
            "{} runs under attack ({phase}): {ok} published, {refused} refused; {} attack rounds",
            ok + refused,
            rounds.trim()
        );
        assert!(rounds.trim().parse::<u64>().unwrap() > 10, "the attacker hardly ran: {rounds}");
        if spare.is_empty() {
            assert!(refused > 0, "the attacker never got in the way");
        } else {
            assert!(ok > 0, "the job never got through");
        }
        assert_eq!(play.snapshot(), before, "a file outside OUTDIR changed ({phase})");
    }
    assert_eq!(play.snapshot(), before, "a file outside OUTDIR changed");
    // Nothing of the job's landed in the attacker's reach outside OUTDIR either.
    assert_eq!(entries(&play.path("www")).iter().filter(|n| !n.starts_with("ticky") && *n != "stop").count(), 0);
}

#[test]
fn outdir_as_a_link_and_published_names_as_links_change_nothing_outside() {
    if !can_attack() {
        return;
    }
    let wd = Workdir::new("attack-links");
    let play = Playground::new("attack-links");
    let script = install_daily(&wd);
    let log = repo_root().join("tests/fixtures/syslog.log");
    let before = play.snapshot();

    // OUTDIR a link to the secret folder, made by the attacker in its folder.
    let out = play.path("www/ticky");
    let o = as_attacker("ln").arg("-s").arg(play.path("secret")).arg(&out).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let o = daily(&script, &log, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("is a symbolic link") && stderr.contains("is unchanged"), "{stderr}");
    assert_eq!(play.snapshot(), before);
    fs::remove_file(&out).unwrap();

    // Each published name a link: to a root-only file, or to a folder (where `mv -f` would move into).
    let out = play.attacker_outdir();
    for (i, f) in PUBLISHED.iter().enumerate() {
        let target = if i % 2 == 0 { play.path("target.txt") } else { play.path("victim") };
        let o = as_attacker("ln").arg("-s").arg(&target).arg(out.join(f)).output().unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    let o = as_attacker("ln").arg("-s").arg(play.path("secret")).arg(out.join("current")).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let o = daily(&script, &log, &out).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    assert_eq!(play.snapshot(), before);
    for f in PUBLISHED {
        // The daily job's home page is its dashboard written for OUTDIR (ticky-publish --home).
        let target = if f == "index.html" { "home.html" } else { f };
        assert_eq!(fs::read_link(out.join(f)).unwrap(), Path::new("current").join(target));
    }
    assert!(fs::read_to_string(out.join("error_message.csv")).unwrap().starts_with("Error,Count\nTimeout"));

    // `runs` replaced by the attacker's own folder: refused with what to do.
    let o = as_attacker("mv").arg(out.join("runs")).arg(out.join("old-runs")).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let o = as_attacker("mkdir").arg(out.join("runs")).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    let o = daily(&script, &log, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("someone else made it; move it away"), "{o:?}");
    assert_eq!(play.snapshot(), before);
}

#[test]
fn another_user_cannot_hold_the_lock() {
    if !can_attack() {
        return;
    }
    let wd = Workdir::new("attack-lock");
    let play = Playground::new("attack-lock");
    let script = install_daily(&wd);
    let log = repo_root().join("tests/fixtures/syslog.log");
    let out = play.attacker_outdir();
    assert!(daily(&script, &log, &out).output().unwrap().status.success());

    // The attacker holds OUTDIR (the old lock) and tries the new one, which it cannot even open.
    let mut holder = as_attacker("flock").arg("-n").arg(&out).args(["sleep", "30"]).spawn().unwrap();
    let o = as_attacker("flock").arg("-n").arg(out.join("runs/.lock")).arg("true").output().unwrap();
    assert_ne!(o.status.code(), Some(0), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("Permission denied"), "{o:?}");
    let start = Instant::now();
    let o = daily(&script, &log, &out).output().unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(start.elapsed() < Duration::from_secs(10));
    let _ = holder.kill();
    let _ = holder.wait();
}

// ---------------------------------------------------------------------------------------------
// SIGKILL at random instants.

/// A small deterministic generator for the kill delays; the seed is printed so a failure replays.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
}

/// Starts `cmd` in a process group of its own and kills the whole group after `delay`.
fn run_and_kill(mut cmd: Command, delay: Duration) {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(delay);
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.wait();
}

/// Which of the known sets the published files are: each name read through OUTDIR, as a web
/// server reads it. Panics on a mix, a missing file or an unknown content.
fn which_set(out: &Path, sets: &[Vec<Vec<u8>>]) -> usize {
    let now: Vec<Vec<u8>> =
        PUBLISHED.iter().map(|f| fs::read(out.join(f)).unwrap_or_else(|e| panic!("{f} unreadable: {e}"))).collect();
    sets.iter().position(|set| *set == now).unwrap_or_else(|| {
        let per_file: Vec<Option<usize>> =
            (0..PUBLISHED.len()).map(|i| sets.iter().position(|s| s[i] == now[i])).collect();
        panic!("the published set is a mix or incomplete: per file {per_file:?}")
    })
}

#[test]
fn a_publish_killed_at_any_instant_leaves_the_old_set_or_the_new_one() {
    let wd = Workdir::new("kill-publish");
    // Two report folders of the published names, large enough that copying takes a while.
    let sets: Vec<Vec<Vec<u8>>> = (0..2)
        .map(|s| PUBLISHED.iter().map(|f| format!("set {s} {f}\n").repeat(20_000 + 1000 * s).into_bytes()).collect())
        .collect();
    let srcs: Vec<PathBuf> = (0..2)
        .map(|s| {
            let dir = wd.path(&format!("src{s}"));
            fs::create_dir_all(&dir).unwrap();
            for (f, bytes) in PUBLISHED.iter().zip(&sets[s]) {
                fs::write(dir.join(f), bytes).unwrap();
            }
            dir
        })
        .collect();
    let out = wd.path("out");
    let run = |s: usize| {
        let mut cmd = Command::new(bin_path("ticky-publish"));
        cmd.args(["--exact-csv", "--wait", "10"]).arg(&srcs[s]).arg(&out);
        cmd
    };
    assert!(run(0).status().unwrap().success());
    let start = Instant::now();
    assert!(run(1).status().unwrap().success());
    let took = start.elapsed().as_micros() as u64;

    let seed = seed();
    eprintln!("kill seed {seed}, a publish takes {took} µs");
    let mut rng = XorShift(seed);
    let mut seen = [0usize; 2];
    let mut published = which_set(&out, &sets);
    for _ in 0..120 {
        let next = 1 - published;
        run_and_kill(run(next), Duration::from_micros(rng.below(took * 3 / 2)));
        let now = which_set(&out, &sets);
        seen[now] += 1;
        published = now;
    }
    eprintln!("after 120 kills: set 0 {} times, set 1 {} times", seen[0], seen[1]);
    // The kills fell both before and after the switch.
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
    // The next whole run cleans up: the lock is free, and at most --keep runs remain.
    assert!(run(0).status().unwrap().success());
    assert_eq!(which_set(&out, &sets), 0);
    let runs = entries(&out.join("runs"));
    assert!(runs.len() <= 4, "{runs:?}");
}

#[test]
fn the_daily_job_killed_at_any_instant_leaves_a_whole_report() {
    let wd = Workdir::new("kill-daily");
    let script = install_daily(&wd);
    // Two logs of different days: their reports differ in every file.
    let logs: Vec<PathBuf> = [(11, 3000), (12, 4000)]
        .into_iter()
        .map(|(seed, lines)| {
            let path = wd.path(&format!("log{seed}"));
            let o = wd
                .stdout(wd.command("ticky-gen").args(["--seed", &seed.to_string(), "--lines", &lines.to_string()]), "");
            fs::write(&path, o).unwrap();
            path
        })
        .collect();
    // A killed run leaves its private folder behind: here, not in the system's /tmp.
    let tmp = wd.path("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let daily = |log: &Path, out: &Path| {
        let mut cmd = daily(&script, log, out);
        cmd.env("TMPDIR", &tmp);
        cmd
    };
    // Each report as published by a run that was not killed; the index page and the page subtitles
    // carry the minute of the run, so the sets are taken again should a minute turn.
    let reference = |s: usize| -> Vec<Vec<u8>> {
        let dir = wd.path(&format!("ref{s}"));
        let _ = fs::remove_dir_all(&dir);
        let o = daily(&logs[s], &dir).output().unwrap();
        assert!(o.status.success(), "{o:?}");
        PUBLISHED.iter().map(|f| fs::read(dir.join(f)).unwrap()).collect()
    };
    let out = wd.path("out");
    assert!(daily(&logs[0], &out).status().unwrap().success());
    let start = Instant::now();
    assert!(daily(&logs[1], &out).status().unwrap().success());
    let took = start.elapsed().as_micros() as u64;

    let seed = seed();
    eprintln!("kill seed {seed}, a daily run takes {took} µs");
    let mut rng = XorShift(seed);
    let mut seen = [0usize; 2];
    let mut sets = vec![reference(0), reference(1)];
    let mut published = which_set(&out, &sets);
    let mut trials = 0;
    while trials < 40 {
        let minute = sets.clone();
        let next = 1 - published;
        run_and_kill(daily(&logs[next], &out), Duration::from_micros(rng.below(took * 5 / 4)));
        sets = vec![reference(0), reference(1)];
        if sets != minute {
            // A minute turned during the trial: the set published before it can no longer be told.
            assert!(daily(&logs[0], &out).status().unwrap().success());
            published = 0;
            continue;
        }
        let now = which_set(&out, &sets);
        seen[now] += 1;
        published = now;
        trials += 1;
    }
    eprintln!("after 40 kills: report 0 {} times, report 1 {} times", seen[0], seen[1]);
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
    let _ = std::io::stderr().flush();
}
