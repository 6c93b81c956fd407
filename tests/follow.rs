//! `ticky-follow` against a writer that rotates its log hundreds of times, by rename and by copy
//! and truncate, while the follower is killed with SIGKILL and restarted at random.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin_path, Workdir};

/// logrotate's numbering: `log.8` to `log.9` … `log` to `log.1` (by rename or by copy).
fn shift(log: &Path) {
    for k in (1..9).rev() {
        let from = format!("{}.{k}", log.display());
        if Path::new(&from).exists() {
            fs::rename(&from, format!("{}.{}", log.display(), k + 1)).unwrap();
        }
    }
}

/// Appends `lines` numbered lines (`file:number`, the file being the writer's count of files),
/// rotating every `every` lines, by rename (writing a few more lines to the old file afterwards,
/// as a daemon does until it reopens its log) and by copy and truncate in turn.
fn write_log(log: &Path, lines: u64, every: u64, seed: u64) {
    let mut rng = common::Rng(seed);
    let open = || OpenOptions::new().create(true).append(true).open(log).unwrap();
    let mut file = open();
    let mut generation = 0;
    let mut n = 0;
    while n < lines {
        writeln!(file, "{generation}:{n}").unwrap();
        n += 1;
        if n % every == 0 {
            shift(log);
            if (n / every) % 2 == 0 {
                fs::rename(log, format!("{}.1", log.display())).unwrap();
                for _ in 0..3 {
                    writeln!(file, "{generation}:{n}").unwrap();
                    n += 1;
                }
                file = open();
            } else {
                // The writer pauses while the copy is made, so the copy holds every line.
                fs::copy(log, format!("{}.1", log.display())).unwrap();
                file.set_len(0).unwrap();
            }
            generation += 1;
            // Nine rotated files are kept: a follower kept from running (a loaded machine, a
            // restart) for nine rotations would find the oldest gone. A pause at each makes that
            // a quarter of a second.
            std::thread::sleep(Duration::from_millis(30));
        }
        if rng.below(10) == 0 {
            std::thread::sleep(Duration::from_micros(500 + rng.below(1500)));
        }
    }
}

#[test]
fn every_line_exactly_once_across_rotations_and_kill_9() {
    let wd = Workdir::new("follow-torture");
    let log = wd.path("app.log");
    let (lines, every) = (40_000, 150);
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || write_log(&log, lines, every, 11))
    };
    let follower = || {
        Command::new(bin_path("ticky-follow"))
            .current_dir(&wd.dir)
            .args(["--state", "state.json", "-o", "out.txt", "--interval", "5", "--from-start", "app.log"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut rng = common::Rng(5);
    let mut kills = 0;
    let mut said = String::new();
    while !writer.is_finished() {
        let mut child = follower();
        std::thread::sleep(Duration::from_millis(20 + rng.below(150)));
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        said += &stderr;
        kills += 1;
    }
    writer.join().unwrap();
    // What was written after the last kill: read to the end, rotated files drained at once.
    let out =
        wd.output(wd.command("ticky-follow").args(["--state", "state.json", "-o", "out.txt", "--once", "app.log"]), "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(kills >= 10, "only {kills} restarts");

    let text = fs::read_to_string(wd.path("out.txt")).unwrap();
    let mut seen = vec![0u32; lines as usize];
    let mut last_in_file: BTreeMap<u64, u64> = BTreeMap::new();
    for line in text.lines() {
        let (file, n) = line.split_once(':').unwrap_or_else(|| panic!("not a line written: {line:?}"));
        let (file, n): (u64, u64) = (file.parse().unwrap(), n.parse().unwrap());
        seen[n as usize] += 1;
        if let Some(&before) = last_in_file.get(&file) {
            assert!(n > before, "file {file}: {n} after {before}");
        }
        last_in_file.insert(file, n);
    }
    let missing: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] == 0).take(10).collect();
    let twice: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] > 1).take(10).collect();
    assert!(
        missing.is_empty() && twice.is_empty(),
        "missing {missing:?}, twice {twice:?} ({kills} restarts); the follower said: {said}"
    );
    assert!(last_in_file.len() as u64 >= lines / every, "{} files", last_in_file.len());
}

#[test]
fn a_line_reaches_the_output_within_a_second_and_a_partial_one_waits_for_its_newline() {
    let wd = Workdir::new("follow-latency");
    let log = wd.write("app.log", "old line\n");
    let mut child = Command::new(bin_path("ticky-follow"))
        .current_dir(&wd.dir)
        .arg("app.log")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(300));
    let mut file = OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(b"first half").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let start = Instant::now();
    file.write_all(b", second half\n").unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let took = start.elapsed();
    child.kill().unwrap();
    let _ = child.wait();
    // The old line is not printed: following starts at the end.
    assert_eq!(line, "first half, second half\n");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn a_state_that_names_another_file_and_misuse_are_said() {
    let wd = Workdir::new("follow-misuse");
    let err = wd.fails(&mut wd.command("ticky-follow"), "", 2);
    assert!(err.contains("name the files to follow"), "{err}");
    wd.write("a.log", "1\n2\n");
    wd.write("state.json", "{not json");
    let err = wd.fails(wd.command("ticky-follow").args(["--state", "state.json", "--once", "a.log"]), "", 1);
    assert!(err.contains("state.json: not a state ticky-follow wrote"), "{err}");
    // Read once from the start, then the file is replaced by another one of other content.
    fs::remove_file(wd.path("state.json")).unwrap();
    let out =
        wd.stdout(wd.command("ticky-follow").args(["--state", "state.json", "--once", "--from-start", "a.log"]), "");
    assert_eq!(out, b"1\n2\n");
    fs::remove_file(wd.path("a.log")).unwrap();
    wd.write("a.log", "x\n");
    let out = wd.output(wd.command("ticky-follow").args(["--state", "state.json", "--once", "a.log"]), "");
    assert_eq!(out.stdout, b"x\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither there nor rotated"), "{out:?}");
}
