//! The HTML report of `slant compare` in a real browser: headless Chromium (Debian package
//! `chromium`) loads it, dumps the DOM it built, and takes a screenshot.
//!
//! Outside CI a machine without Chromium skips these tests and says so on stderr; with `CI` set,
//! a missing Chromium is a failure (`.ci/run` installs it).
mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before the test gives up on it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` after saying why the test is skipped; panics in CI without it.
fn chromium(test: &str) -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => panic!(
            "{test}: CI is set but chromium is not on PATH; install the Debian package `chromium` (.ci/run does)"
        ),
        None => {
            // Straight to the process's stderr: the test harness would swallow eprintln!.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: chromium is not installed (apt-get install chromium); CI runs this test"
            );
            None
        }
    }
}

/// What one headless Chromium run printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on a local file with the flags that work on a closed network, with
/// console messages logged to stderr.
fn run_chromium(bin: &Path, work: &Path, extra: &[String], page: &Path) -> Run {
    let profile = tempfile::tempdir().unwrap();
    let out_path = work.join("chromium.stdout");
    let err_path = work.join("chromium.stderr");
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within {BROWSER_TIMEOUT:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    };
    assert!(status.success(), "chromium failed: {}", run.stderr);
    run
}

/// Console messages (errors, warnings, CSP violations, logs) and failed loads in Chromium's log.
fn console_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
                || l.contains("Content Security Policy")
        })
        .collect()
}

fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let signature = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if bytes.len() < 24 || bytes[..8] != signature || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    Some((be(16), be(20)))
}

#[test]
fn the_report_loads_without_console_errors_and_has_one_bar_group_per_outlet() {
    let Some(bin) = chromium("browser_report") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let o = slant(&[
        "compare",
        "--outlets",
        "seeds/outlets.tsv",
        "--permutations",
        "199",
        "--json",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outlets = v["outlets"].as_array().unwrap().len();
    assert_eq!(outlets, 3);

    let dom = run_chromium(&bin, dir.path(), &["--dump-dom".into()], &page);
    assert!(
        dom.stdout.contains("<h1>Predicted stance by outlet</h1>"),
        "the page did not load: {}",
        dom.stdout
    );
    assert_eq!(
        dom.stdout.matches("<g class=\"bar-group\"").count(),
        outlets,
        "one bar group per outlet in the DOM Chromium built"
    );
    assert_eq!(
        dom.stdout.matches("<g class=\"net-group\"").count(),
        outlets
    );
    assert!(!dom.stdout.contains("<script"), "the report runs no script");
    let problems = console_problems(&dom.stderr);
    assert!(problems.is_empty(), "console messages: {problems:#?}");

    let png = dir.path().join("report.png");
    let shot = run_chromium(
        &bin,
        dir.path(),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,900".into(),
        ],
        &page,
    );
    let problems = console_problems(&shot.stderr);
    assert!(problems.is_empty(), "console messages: {problems:#?}");
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(png_size(&bytes), Some((1200, 900)));
    assert!(bytes.len() > 20_000, "a rendered page, not a blank one");
}

/// The console check above must be able to fail: a page with a script error and a blocked
/// image is caught.
#[test]
fn the_console_check_catches_script_errors_and_blocked_loads() {
    let Some(bin) = chromium("browser_report self-check") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body><p>x</p>\
         <img src=\"http://192.0.2.1/x.png\" alt=\"\">\
         <script>throw new Error(\"deliberate\")</script></body></html>",
    )
    .unwrap();
    let run = run_chromium(&bin, dir.path(), &["--dump-dom".into()], &page);
    let problems = console_problems(&run.stderr);
    assert!(
        problems
            .iter()
            .any(|l| l.contains("Uncaught Error: deliberate")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{problems:#?}"
    );
}
