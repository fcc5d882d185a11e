//! Helpers shared by the CLI tests: run the built binary from the project root.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn slant(args: &[&str]) -> Output {
    slant_in(&root(), args, None)
}

pub fn slant_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_slant"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts a bad-input failure: exit status 2, one line on stderr, no panic, mentioning `needle`.
pub fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "exactly one stderr line, got: {err}"
    );
    assert!(err.starts_with("slant: error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Asserts a run that finished every good input and failed `errors` of them: exit status 1, no
/// panic, one `slant: error:` line per failed input (the first mentioning `needle`), and the
/// summary line last.
pub fn assert_inputs_failed(o: &Output, errors: usize, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let error_lines: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("slant: error: "))
        .collect();
    assert_eq!(error_lines.len(), errors, "{err}");
    assert!(
        error_lines[0].contains(needle),
        "expected {needle:?} in: {err}"
    );
    let last = lines.last().expect("a summary line");
    assert!(last.contains(&format!("{errors} errors")), "{err}");
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
pub fn put(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p.to_str().expect("UTF-8 temp path").to_owned()
}

/// The names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
