//! The toolkit documents itself: man pages lint clean and render, every option `--help` prints is
//! in the tool's man page, and scripts/install.sh gives working binaries and man pages.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use common::{bin_path, repo_root, Workdir};

const TOOLS: [&str; 9] = [
    "ticky-parse",
    "ticky-count",
    "ticky-sort",
    "ticky-html",
    "ticky-gen",
    "ticky-publish",
    "ticky-store",
    "ticky-follow",
    "ticky-alert",
];

fn man_page(tool: &str) -> String {
    let path = repo_root().join(format!("man/{tool}.1"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The long options in a text: `--by`, `--pivot`, ...
fn long_options(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at + 2;
        let len = bytes[start..].iter().take_while(|c| c.is_ascii_lowercase() || **c == b'-').count();
        if len > 1 {
            found.insert(format!("--{}", &text[start..start + len]));
        }
        i = start + len.max(1);
    }
    found
}

#[test]
fn man_pages_lint_clean() {
    let mut pages: Vec<_> = fs::read_dir(repo_root().join("man")).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    assert_eq!(pages.len(), TOOLS.len() + 1, "{pages:?}");
    for page in pages {
        let out = Command::new("mandoc")
            .args(["-man", "-W", "warning", "-T", "lint"])
            .arg(&page)
            .output()
            .expect("mandoc is needed: scripts/test.sh installs it");
        let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && report.is_empty(), "{}: {report}", page.display());
    }
}

#[test]
fn every_help_option_is_in_the_man_page() {
    let wd = Workdir::new("docs-help");
    for tool in TOOLS {
        let help = String::from_utf8(wd.stdout(wd.command(tool).arg("--help"), "")).unwrap();
        let options = long_options(&help);
        assert!(options.contains("--help") && options.contains("--version"), "{tool}: {options:?}");
        let page = man_page(tool).replace("\\-", "-");
        for option in options {
            assert!(page.contains(&option), "{tool}: {option} is in --help but not in man/{tool}.1");
        }
        // Help is short: a screenful.
        assert!(help.lines().count() <= 40, "{tool} --help has {} lines", help.lines().count());
    }
}

#[test]
fn every_tool_has_version_and_rejects_unknown_options() {
    let wd = Workdir::new("docs-version");
    for tool in TOOLS {
        assert_eq!(
            String::from_utf8(wd.stdout(wd.command(tool).arg("--version"), "")).unwrap(),
            format!("{tool} 0.1.0\n")
        );
        let stderr = wd.fails(wd.command(tool).arg("--frobnicate"), "", 2);
        assert_eq!(
            stderr,
            format!("{tool}: invalid option '--frobnicate'\nTry '{tool} --help' for more information.\n")
        );
    }
}

#[test]
fn man_renders_and_install_gives_working_commands() {
    let wd = Workdir::new("docs-install");
    let rendered = Command::new("man")
        .arg("-l")
        .arg(repo_root().join("man/ticky-count.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .expect("man is needed: scripts/test.sh installs man-db");
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success()
            && text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains("ticky-count - count records or raw logs per key: counts, stats, time buckets"),
        "{text}"
    );

    let prefix = wd.path("prefix");
    let build = bin_path("ticky-parse").parent().unwrap().to_path_buf();
    let out = Command::new(repo_root().join("scripts/install.sh"))
        .arg(&prefix)
        .env("TICKY_BUILD_DIR", &build)
        .output()
        .unwrap();
    assert!(out.status.success(), "install.sh: {}", String::from_utf8_lossy(&out.stderr));

    let man = Command::new("man")
        .arg("-M")
        .arg(prefix.join("share/man"))
        .arg("ticky-count")
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).contains("--merge"), "man ticky-count: {man:?}");
    let man = Command::new("man")
        .arg("-M")
        .arg(prefix.join("share/man"))
        .args(["8", "ticky-daily"])
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).contains("crontab"), "man ticky-daily: {man:?}");

    // The installed daily script finds the installed tools and sample log, from anywhere.
    let path = format!("{}:/usr/bin:/bin", prefix.join("bin").display());
    let run_dir = wd.path("run");
    fs::create_dir_all(&run_dir).unwrap();
    let daily = Command::new("env")
        .arg("-i")
        .arg(format!("PATH={path}"))
        .arg("ticky-daily")
        .current_dir(&run_dir)
        .output()
        .unwrap();
    assert!(daily.status.success(), "ticky-daily: {daily:?}");
    let errors = fs::read_to_string(run_dir.join("ticky-report/error_message.csv")).unwrap();
    assert!(errors.starts_with("Error,Count\nTimeout while retrieving information,15\n"), "{errors}");
}

#[test]
fn install_takes_help_a_relative_prefix_and_uninstalls() {
    let wd = Workdir::new("docs-install-rel");
    let script = repo_root().join("scripts/install.sh");
    // --help answers at once: no build, no install.
    let help = Command::new(&script).arg("--help").current_dir(&wd.dir).output().unwrap();
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("--uninstall"), "{help:?}");
    assert_eq!(fs::read_dir(&wd.dir).unwrap().count(), 0);
    // A relative prefix is taken from where the command is given.
    let build = bin_path("ticky-parse").parent().unwrap().to_path_buf();
    let out = Command::new(&script).arg("pfx").env("TICKY_BUILD_DIR", &build).current_dir(&wd.dir).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(wd.path("pfx/bin/ticky-publish").exists() && wd.path("pfx/share/man/man8/ticky-daily.8").exists());
    let out = Command::new(&script).args(["--uninstall", "pfx"]).current_dir(&wd.dir).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let left: Vec<_> = walk(&wd.path("pfx"));
    assert!(left.is_empty(), "{left:?}");
}

/// The files below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
