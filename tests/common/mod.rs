//! The one helper the integration tests share: a temporary working directory in which the real
//! binaries run, with everything about a failed command printed.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Workdir {
    pub dir: PathBuf,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = root.join(format!("{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Workdir { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, data).unwrap();
        path
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap()
    }

    /// A command for one of the crate's binaries (`ticky-parse`), run in this directory.
    pub fn command(&self, bin: &str) -> Command {
        let mut cmd = Command::new(bin_path(bin));
        cmd.current_dir(&self.dir);
        cmd
    }

    /// Runs `cmd` with `stdin` and returns what it did, whatever its exit status.
    pub fn output(&self, cmd: &mut Command, stdin: impl AsRef<[u8]>) -> Output {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let input = stdin.as_ref().to_vec();
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_no_panic(cmd, &out);
        out
    }

    /// Runs `cmd` and insists that it succeeds; returns its standard output.
    pub fn stdout(&self, cmd: &mut Command, stdin: impl AsRef<[u8]>) -> Vec<u8> {
        let out = self.output(cmd, stdin);
        if !out.status.success() {
            panic!("command failed: {}", describe(cmd, &out));
        }
        out.stdout
    }

    /// Runs `cmd`, insists that it exits with `code`, and returns its standard error.
    pub fn fails(&self, cmd: &mut Command, stdin: impl AsRef<[u8]>, code: i32) -> String {
        let out = self.output(cmd, stdin);
        if out.status.code() != Some(code) {
            panic!("expected exit status {code}: {}", describe(cmd, &out));
        }
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs a shell pipeline in this directory with the binaries on PATH.
    pub fn sh(&self, script: &str) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg("-o").arg("pipefail").arg("-c").arg(script).env("PATH", path_with_bins()).current_dir(&self.dir);
        self.output(&mut cmd, "")
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn bin_path(bin: &str) -> PathBuf {
    PathBuf::from(match bin {
        "ticky-parse" => env!("CARGO_BIN_EXE_ticky-parse"),
        "ticky-count" => env!("CARGO_BIN_EXE_ticky-count"),
        "ticky-sort" => env!("CARGO_BIN_EXE_ticky-sort"),
        "ticky-html" => env!("CARGO_BIN_EXE_ticky-html"),
        "ticky-gen" => env!("CARGO_BIN_EXE_ticky-gen"),
        "ticky-publish" => env!("CARGO_BIN_EXE_ticky-publish"),
        "ticky-store" => env!("CARGO_BIN_EXE_ticky-store"),
        "ticky-follow" => env!("CARGO_BIN_EXE_ticky-follow"),
        "ticky-alert" => env!("CARGO_BIN_EXE_ticky-alert"),
        _ => panic!("no binary {bin}"),
    })
}

/// Installs daily.sh with the tools under test beside it, as scripts/install.sh lays them out, so
/// the script finds exactly these binaries; returns the script's path.
pub fn install_daily(wd: &Workdir) -> PathBuf {
    let bin = wd.path("bin");
    fs::create_dir_all(&bin).unwrap();
    for tool in ["ticky-parse", "ticky-count", "ticky-sort", "ticky-html", "ticky-publish", "ticky-store"] {
        std::os::unix::fs::symlink(bin_path(tool), bin.join(tool)).unwrap();
    }
    let script = bin.join("ticky-daily");
    fs::copy(repo_root().join("scripts/daily.sh"), &script).unwrap();
    script
}

pub fn path_with_bins() -> String {
    let bins = bin_path("ticky-parse").parent().unwrap().to_path_buf();
    format!("{}:{}", bins.display(), std::env::var("PATH").unwrap_or_default())
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn describe(cmd: &Command, out: &Output) -> String {
    format!(
        "{cmd:?}\nstatus: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(4000)]),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A panic is a bug whatever the input: every command run by the tests is checked for one.
fn assert_no_panic(cmd: &Command, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked at") && !stderr.contains("RUST_BACKTRACE"), "panic: {}", describe(cmd, out));
    assert_ne!(out.status.code(), Some(101), "panic exit: {}", describe(cmd, out));
}

/// Parses JSON Lines output into values, insisting that each line is one valid JSON object.
pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("invalid JSON record {:?}: {e}", String::from_utf8_lossy(l)));
            assert!(v.is_object(), "not an object: {v}");
            v
        })
        .collect()
}

/// Rows `key,count` (the key may hold commas: the count is after the last) as a map.
pub fn count_rows(text: &[u8]) -> std::collections::BTreeMap<String, u64> {
    String::from_utf8(text.to_vec())
        .unwrap()
        .lines()
        .map(|l| {
            let (k, n) = l.rsplit_once(',').unwrap_or_else(|| panic!("not key,count: {l:?}"));
            (k.to_string(), n.parse().unwrap_or_else(|_| panic!("not a count: {l:?}")))
        })
        .collect()
}

/// A table that ticky-count wrote, `key[,key…],count` under a header, as a map.
pub fn count_table(csv: &[u8]) -> std::collections::BTreeMap<String, u64> {
    let body = csv.iter().position(|&b| b == b'\n').map_or(&csv[csv.len()..], |i| &csv[i + 1..]);
    count_rows(body)
}

/// A map of counts in a generator's truth (`"statuses": {"200": 5, …}`).
pub fn truth_counts(truth: &serde_json::Value, key: &str) -> std::collections::BTreeMap<String, u64> {
    let object = truth[key].as_object().unwrap_or_else(|| panic!("no {key} in the truth"));
    object.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
}

/// The rows `key,count` of an SQL query, run by the sqlite3 shell on `db` in `wd`.
pub fn sql_counts(wd: &Workdir, db: &str, query: &str) -> std::collections::BTreeMap<String, u64> {
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).args(["-csv", db, query]);
    count_rows(&wd.stdout(&mut cmd, ""))
}

/// Peak memory (RSS, KiB) of a shell command, its output thrown away, measured by Python's
/// getrusage of its children (the largest of them).
pub fn peak_kib(wd: &Workdir, script: &str) -> u64 {
    let mut cmd = std::process::Command::new("python3");
    cmd.current_dir(&wd.dir).env("PATH", path_with_bins()).args([
        "-c",
        "import resource, subprocess, sys\n\
         r = subprocess.run(['bash', '-o', 'pipefail', '-c', sys.argv[1] + ' > /dev/null'])\n\
         print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        script,
    ]);
    let out = String::from_utf8(wd.stdout(&mut cmd, "")).unwrap();
    let (code, kib) = out.trim().split_once(' ').unwrap();
    assert_eq!(code, "0", "{script}");
    kib.parse().unwrap()
}

/// Runs headless Chromium with a profile of its own and nothing that reaches the network.
pub fn chromium(args: &[&str]) -> Output {
    let profile = tempdir_for_chromium();
    let out = Command::new("timeout")
        .args(["120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run chromium (scripts/test.sh installs it)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed: {out:?}");
    out
}

fn tempdir_for_chromium() -> PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "chromium-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Digits grouped by thousands, computed here rather than by ticky-html.
pub fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A deterministic sequence (SplitMix64): generated data and timings that a seed reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An SMTP server on 127.0.0.1 that appends each message it is given to `mailbox` in `wd`, and
/// msmtp (Debian's msmtp-mta, as /usr/sbin/sendmail) configured in `wd`'s `.msmtprc` to hand mail
/// to it (run the tool with HOME set to `wd`). `None` when there is no sendmail.
pub fn smtp_sink(wd: &Workdir) -> Option<std::process::Child> {
    if !std::path::Path::new("/usr/sbin/sendmail").exists() {
        eprintln!("skipped: no sendmail (scripts/test.sh installs msmtp-mta)");
        return None;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let sink = "import smtpd, asyncore, sys\n\
                class Sink(smtpd.SMTPServer):\n\
                \x20   def process_message(self, peer, sender, rcpt, data, **kw):\n\
                \x20       open('mailbox', 'ab').write(b'RCPT ' + ','.join(rcpt).encode() + b'\\n' + data + b'\\n.\\n')\n\
                Sink(('127.0.0.1', int(sys.argv[1])), None, decode_data=False)\n\
                asyncore.loop()\n";
    let server = std::process::Command::new("python3")
        .current_dir(&wd.dir)
        .args(["-W", "ignore", "-c", sink, &port.to_string()])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "the SMTP server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rc = wd.write(
        ".msmtprc",
        format!("defaults\nauth off\ntls off\naccount default\nhost 127.0.0.1\nport {port}\nfrom ticky@localhost\n"),
    );
    fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    Some(server)
}
