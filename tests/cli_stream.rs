//! `slant score` in parallel and streaming: output in input order whatever the number of
//! threads, JSON Lines records grouped as they come, `--out` never left half-written.
mod common;
use common::*;

use std::process::{Command, Output, Stdio};

/// Runs the binary from the project root with `threads` rayon threads.
fn slant_threads(threads: usize, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slant"))
        .args(args)
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

/// Paragraphs of the seed labels, to build inputs from.
fn texts() -> Vec<String> {
    std::fs::read_to_string(root().join("labels/seeds.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit('\t').next().unwrap().to_owned())
        .collect()
}

/// The same stdout, stderr and exit status with 1 and with 4 threads.
fn same_with_1_and_4_threads(args: &[&str]) -> Output {
    let one = slant_threads(1, args);
    let four = slant_threads(4, args);
    assert_eq!(stdout(&one), stdout(&four));
    assert_eq!(stderr(&one), stderr(&four));
    assert_eq!(one.status.code(), four.status.code());
    four
}

#[test]
fn many_files_come_out_in_input_order_with_their_errors_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let texts = texts();
    // More files than the scoring window holds, of uneven sizes, so that later files often
    // finish first; a few unreadable or empty ones among them.
    for i in 0..300 {
        let name = format!("{i:03}.txt");
        match i % 50 {
            7 => put(dir.path(), &name, b"\x89PNG\r\n\x1a\n\0\0"),
            23 => put(dir.path(), &name, ""),
            _ => {
                let n = if i % 10 == 0 { 40 } else { 1 + i % 3 };
                let body: Vec<&str> = (0..n)
                    .map(|k| texts[(i * 5 + k) % texts.len()].as_str())
                    .collect();
                put(dir.path(), &name, body.join("\n\n"))
            }
        };
    }
    let d = dir.path().to_str().unwrap();
    let o = same_with_1_and_4_threads(&["score", d]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    let docs: Vec<&str> = rows.iter().map(|r| r["doc"].as_str().unwrap()).collect();
    let mut sorted = docs.clone();
    sorted.sort();
    assert_eq!(docs, sorted, "records in the (sorted) input order");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6 + 6 + 1, "{err}");
    for (k, i) in [7, 57, 107, 157, 207, 257].iter().enumerate() {
        assert!(lines[2 * k].contains(&format!("{i:03}.txt")), "{err}");
        assert!(lines[2 * k].starts_with("slant: error: "), "{err}");
        assert!(
            lines[2 * k + 1].contains(&format!("{:03}.txt", i + 16)),
            "{err}"
        );
        assert!(lines[2 * k + 1].contains("no paragraphs"), "{err}");
    }
    assert!(lines[12].starts_with("slant: 300 files, "), "{err}");
    for args in [&["--per", "doc"][..], &["--format", "csv"][..]] {
        same_with_1_and_4_threads(&[&["score", d][..], args].concat());
    }
}

/// JSON Lines records: `docs` articles of 1 to 9 paragraphs, and one of 300 (scored in pieces
/// over threads).
fn records(docs: usize) -> String {
    let texts = texts();
    let mut out = String::new();
    for d in 0..docs {
        let n = if d == docs / 2 { 300 } else { 1 + d % 9 };
        for k in 1..=n {
            let rec = serde_json::json!({
                "id": format!("doc{d}:{k}"),
                "text": texts[(d * 11 + k) % texts.len()],
                "outlet": if d % 2 == 0 { "Dawn" } else { "The News" },
            });
            out.push_str(&format!("{rec}\n"));
        }
    }
    out
}

#[test]
fn jsonl_records_come_out_in_input_order_and_match_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = put(dir.path(), "r.jsonl", records(120));
    let o = same_with_1_and_4_threads(&["score", "--input", "jsonl", &path]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    let ids: Vec<String> = rows
        .iter()
        .map(|r| format!("{}:{}", r["doc"].as_str().unwrap(), r["para"]))
        .collect();
    let expected: Vec<String> = json_lines(&records(120))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expected);
    let per_doc = same_with_1_and_4_threads(&["score", "--input", "jsonl", "--per", "doc", &path]);
    let docs = json_lines(&stdout(&per_doc));
    assert_eq!(docs.len(), 120);
    assert_eq!(docs[60]["paragraphs"], 300);
}

#[test]
fn a_run_that_fails_midway_leaves_no_output_file_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // Far more articles than the scoring window, so scores were already being written to the
    // temporary file when the bad record is reached.
    let body = records(400) + "{\"id\":\"last:1\",\"text\":\"\"}\n";
    let path = put(dir.path(), "r.jsonl", &body);
    let line = body.lines().count();
    let out = dir.path().join("scores.jsonl");
    let score_to_out = |input: &str| {
        slant(&[
            "score",
            "--input",
            "jsonl",
            "--out",
            out.to_str().unwrap(),
            input,
        ])
    };
    let o = score_to_out(&path);
    assert_clean_failure(
        &o,
        &format!("r.jsonl line {line}: record `last:1` has no `text`"),
    );
    assert_eq!(names(dir.path()), ["r.jsonl"]);
    // An older output file stays as it was.
    std::fs::write(&out, "old scores\n").unwrap();
    assert_eq!(score_to_out(&path).status.code(), Some(2));
    assert_eq!(names(dir.path()), ["r.jsonl", "scores.jsonl"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old scores\n");
    // And a good run replaces it whole.
    let good = put(dir.path(), "good.jsonl", records(50));
    let o = score_to_out(&good);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(dir.path()), ["good.jsonl", "r.jsonl", "scores.jsonl"]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), records(50).lines().count());
}

#[test]
fn a_doc_whose_records_are_not_together_is_refused_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let rec = |id: &str| format!("{{\"id\":\"{id}\",\"text\":\"Keep talking to Kabul.\"}}\n");
    let a = put(
        dir.path(),
        "a.jsonl",
        rec("x:1") + &rec("x:2") + &rec("y:1"),
    );
    let b = put(dir.path(), "b.jsonl", rec("y:2") + &rec("x:3"));
    let o = slant(&["score", "--input", "jsonl", &a, &b]);
    assert_clean_failure(
        &o,
        "b.jsonl line 2: doc `x` comes back after other docs (its records began at ",
    );
    assert!(stderr(&o).contains("a.jsonl line 1)"), "{}", stderr(&o));
    // A doc may run on from one file into the next: `y` is one article of two paragraphs.
    let b = put(dir.path(), "b.jsonl", rec("y:2") + &rec("z"));
    let o = slant(&["score", "--input", "jsonl", "--per", "doc", &a, &b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let docs: Vec<(String, u64)> = json_lines(&stdout(&o))
        .iter()
        .map(|r| {
            (
                r["doc"].as_str().unwrap().into(),
                r["paragraphs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(docs, [("x".into(), 2), ("y".into(), 2), ("z".into(), 1)]);
}
