//! Bad and odd input through the built binary: every case of issue 5. Each failure exits 2 with
//! one line on stderr (or 1 when `score`/`split` finished every good input and some failed),
//! names the file and line, says what to do, never panics and never leaves a half-written file.
//! `tests/README.md` lists which test covers which case.
mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const ARTICLE: &str = "Islamabad should reopen the Torkham crossing and keep talking to Kabul.\n\
The strikes on the camps failed, and the policy behind them failed with them.\n\
Close the border until the sanctuaries are gone.\n";

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The (para, label, probs) of every record of `slant score FILE`: what must not change when
/// only the encoding or line endings of the file change.
fn scored(file: &str) -> Vec<(Value, Value, Value)> {
    let o = slant(&["score", file]);
    assert!(o.status.success(), "{}", stderr(&o));
    json_lines(&stdout(&o))
        .into_iter()
        .map(|r| (r["para"].clone(), r["label"].clone(), r["probs"].clone()))
        .collect()
}

/// The summary line that ends a `score` or `split` run (`score` adds the uncertain count).
fn last_line(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or("")
}

// ---- article inputs -------------------------------------------------------------------------

#[test]
fn a_missing_path_fails_before_any_output() {
    let dir = temp();
    let good = put(dir.path(), "good.txt", ARTICLE);
    for cmd in ["score", "split"] {
        let o = slant(&[cmd, &good, "no/such/file.txt"]);
        assert_clean_failure(&o, "no/such/file.txt: cannot read input");
        assert!(stderr(&o).contains("check the path"), "{}", stderr(&o));
        assert!(o.stdout.is_empty(), "no output before the error");
    }
}

#[test]
fn a_directory_without_text_files_fails() {
    let dir = temp();
    put(dir.path(), "notes.pdf", b"%PDF-1.4");
    put(dir.path(), "sub/data.json", b"{}");
    let d = dir.path().to_str().unwrap();
    for cmd in ["score", "split"] {
        assert_clean_failure(
            &slant(&[cmd, d]),
            "no .txt, .md, .html, .htm files in this directory",
        );
    }
}

#[test]
fn empty_and_blank_files_are_counted_not_errors() {
    let dir = temp();
    let empty = put(dir.path(), "empty.txt", b"");
    let blank = put(dir.path(), "blank.txt", b" \n\t\n\r\n\n");
    let furniture = put(dir.path(), "furniture.txt", "By A Writer\nFollow Us\n");
    let good = put(dir.path(), "good.txt", ARTICLE);
    let o = slant(&["score", &empty, &blank, &furniture, &good]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(json_lines(&stdout(&o)).len(), 3);
    assert!(
        err.contains(&format!(
            "{empty}: no paragraphs (the file is empty or blank)"
        )) && err.contains(&format!(
            "{blank}: no paragraphs (the file is empty or blank)"
        )) && err.contains(&format!(
            "{furniture}: no paragraphs (only headings and furniture"
        )),
        "{err}"
    );
    assert!(
        last_line(&err).starts_with("slant: 4 files, 3 paragraphs, 0 errors, 3 empty;"),
        "{err}"
    );
    let o = slant(&["split", &empty]);
    assert!(o.status.success() && o.stdout.is_empty());
    assert!(stderr(&o).contains("1 files, 0 paragraphs, 0 errors, 1 empty"));
}

#[test]
fn binary_files_get_an_error_record_and_exit_1() {
    let dir = temp();
    let good = put(dir.path(), "good.txt", ARTICLE);
    let png = put(
        dir.path(),
        "photo.txt",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10",
    );
    let nul = put(
        dir.path(),
        "nul.txt",
        b"A line of text.\nThen\0a NUL byte.\n",
    );
    for cmd in ["score", "split"] {
        let o = slant(&[cmd, &png, &good, &nul]);
        assert_inputs_failed(
            &o,
            2,
            &format!("{png} line 1: this is a PNG image, not text"),
        );
        assert!(
            stderr(&o).contains(&format!("{nul} line 2: NUL byte")),
            "{}",
            stderr(&o)
        );
        let rows = json_lines(&stdout(&o));
        assert_eq!(
            rows.len(),
            5,
            "one error record, three paragraphs, one error record"
        );
        assert_eq!(rows[0]["doc"], "photo");
        assert!(rows[0]["error"].as_str().unwrap().contains("PNG image"));
        assert_eq!(rows[4]["doc"], "nul");
        assert!(rows[1..4].iter().all(|r| r["doc"] == "good"));
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = temp();
    let bad = put(
        dir.path(),
        "latin1.txt",
        b"Fine first line.\nCaf\xe9 talks in Kabul.\n",
    );
    let o = slant(&["score", &bad]);
    assert_inputs_failed(&o, 1, &format!("{bad} line 2: invalid UTF-8"));
    assert!(stderr(&o).contains("re-save the file as UTF-8"));
}

#[test]
fn byte_order_marks_utf16_and_line_endings_change_nothing() {
    let dir = temp();
    let plain = scored(&put(dir.path(), "plain.txt", ARTICLE));
    assert_eq!(plain.len(), 3);
    let utf16 = |le: bool| -> Vec<u8> {
        let mut b = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in ARTICLE.encode_utf16() {
            b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        b
    };
    let variants: [(&str, Vec<u8>); 5] = [
        (
            "bom.txt",
            [b"\xEF\xBB\xBF".as_slice(), ARTICLE.as_bytes()].concat(),
        ),
        ("le.txt", utf16(true)),
        ("be.txt", utf16(false)),
        ("crlf.txt", ARTICLE.replace('\n', "\r\n").into_bytes()),
        ("cr.txt", ARTICLE.replace('\n', "\r").into_bytes()),
    ];
    for (name, bytes) in variants {
        assert_eq!(scored(&put(dir.path(), name, bytes)), plain, "{name}");
    }
    // Wrapped paragraphs with CR-only line endings are still joined.
    let wrapped = "The first paragraph is\rwrapped over lines.\r\rThe second one\ris too.\r";
    let o = slant(&["split", &put(dir.path(), "wrapped.txt", wrapped)]);
    let rows = json_lines(&stdout(&o));
    assert_eq!(
        rows[0]["text"],
        "The first paragraph is wrapped over lines."
    );
    assert_eq!(rows.len(), 2);
}

#[test]
fn utf16_without_a_byte_order_mark_is_named() {
    let dir = temp();
    let bytes: Vec<u8> = ARTICLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let f = put(dir.path(), "nobom.txt", bytes);
    let o = slant(&["score", &f]);
    assert_inputs_failed(&o, 1, "UTF-16 text without a byte-order mark");
}

#[test]
fn a_50_mb_one_line_file_is_refused_quickly() {
    let dir = temp();
    let sentence = "Islamabad must keep talking to Kabul and reopen the border for trade. ";
    let line = sentence.repeat(50 * 1024 * 1024 / sentence.len() + 1);
    let big = put(dir.path(), "big.txt", line.trim_end());
    let good = put(dir.path(), "good.txt", ARTICLE);
    for cmd in ["score", "split"] {
        let start = Instant::now();
        let o = slant(&[cmd, &big, &good]);
        let took = start.elapsed();
        assert_inputs_failed(&o, 1, &format!("{big} line 1: a paragraph of 52"));
        assert!(stderr(&o).contains("give it line breaks between paragraphs"));
        let rows = json_lines(&stdout(&o));
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0]["doc"], "big");
        // About half a second in the debug profile; the bound only catches a return to
        // whole-line scans (tens of seconds).
        assert!(took < Duration::from_secs(20), "{cmd} took {took:?}");
    }
}

#[test]
fn closing_stdout_early_is_quiet() {
    let dir = temp();
    let many: String = (0..3000)
        .map(|i| format!("Paragraph {i} says the border must reopen for trade.\n"))
        .collect();
    let f = put(dir.path(), "many.txt", many);
    for cmd in ["score", "split"] {
        // As in `slant score FILE | head -1`: read one line, then close the pipe.
        let mut child = Command::new(env!("CARGO_BIN_EXE_slant"))
            .args([cmd, &f])
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("{\"doc\":\"many\""), "{first}");
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
        assert!(!err.contains("error"), "{err}");
    }
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    // Regression: `eprintln!` panicked (exit 101) when standard error was a pipe nobody read.
    let mut child = Command::new(env!("CARGO_BIN_EXE_slant"))
        .args(["score", "--input", "jsonl", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end of stderr before slant has anything to say, then give it bad input.
    drop(child.stderr.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{\"doc\": \"a\", \"text\":\n").unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

// ---- nothing lost ---------------------------------------------------------------------------

#[test]
fn score_accounts_for_every_input_and_paragraph() {
    let dir = temp();
    // Three articles with known paragraph counts (one paragraph per line, or wrapped blocks).
    put(dir.path(), "a.txt", ARTICLE);
    let wrapped =
        "# Title\n\nFirst paragraph, wrapped\nover two lines.\n\nSecond paragraph here.\n\n\
                   Third paragraph here.\n\nFourth and last paragraph.\n";
    put(dir.path(), "sub/b.md", wrapped);
    let lines: String = (1..=12)
        .map(|i| format!("Sentence number {i} about the border.\n"))
        .collect();
    put(dir.path(), "sub/deeper/c.txt", lines);
    put(dir.path(), "empty.txt", b"");
    put(dir.path(), "furniture.md", "Follow Us\nSubscribe now\n");
    put(dir.path(), "png.txt", b"\x89PNG\r\n\x1a\n\0\0");
    put(dir.path(), "latin1.txt", b"ol\xe9\n");
    put(dir.path(), "ignored.json", b"{}");
    let expected = [("a", 3), ("sub/b", 4), ("sub/deeper/c", 12)];
    let paragraphs: usize = expected.iter().map(|(_, n)| n).sum();

    let o = slant(&["score", dir.path().to_str().unwrap()]);
    assert_inputs_failed(&o, 2, "latin1.txt line 1: invalid UTF-8");
    let rows = json_lines(&stdout(&o));
    let errors: Vec<&Value> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    let records: Vec<&Value> = rows.iter().filter(|r| r.get("error").is_none()).collect();
    assert_eq!(records.len(), paragraphs);
    assert_eq!(errors.len(), 2);
    let docs: Vec<&str> = errors.iter().map(|r| r["doc"].as_str().unwrap()).collect();
    assert_eq!(docs, ["latin1", "png"]);
    for (doc, n) in expected {
        let paras: Vec<u64> = records
            .iter()
            .filter(|r| r["doc"] == doc)
            .map(|r| r["para"].as_u64().unwrap())
            .collect();
        assert_eq!(paras, (1..=n as u64).collect::<Vec<_>>(), "{doc}");
    }
    let summary = format!("slant: 7 files, {paragraphs} paragraphs, 2 errors, 2 empty;");
    assert!(
        last_line(&stderr(&o)).starts_with(&summary),
        "{}",
        stderr(&o)
    );

    // `split` sees the same paragraphs.
    let s = slant(&["split", dir.path().to_str().unwrap()]);
    assert_eq!(s.status.code(), Some(1));
    let split_ids: Vec<(Value, Value)> = json_lines(&stdout(&s))
        .into_iter()
        .filter(|r| r.get("error").is_none())
        .map(|r| (r["doc"].clone(), r["para"].clone()))
        .collect();
    let score_ids: Vec<(Value, Value)> = records
        .iter()
        .map(|r| (r["doc"].clone(), r["para"].clone()))
        .collect();
    assert_eq!(split_ids, score_ids);
}

#[test]
fn two_inputs_with_one_doc_id_are_refused() {
    let dir = temp();
    let a = put(dir.path(), "one/x.txt", ARTICLE);
    let b = put(dir.path(), "two/x.txt", ARTICLE);
    let o = slant(&["score", &a, &b]);
    assert_clean_failure(&o, "its doc id `x` is also that of");
    assert!(o.stdout.is_empty());
    // Their common parent gives distinct ids.
    let o = slant(&["score", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

// ---- labelled data --------------------------------------------------------------------------

/// Runs `slant train --no-cv` on a labels file `name` written into a new temporary directory.
/// Returns the directory, the labels path, the model path and the run.
fn train_on(name: &str, body: impl AsRef<[u8]>) -> (tempfile::TempDir, String, PathBuf, Output) {
    let dir = temp();
    let data = put(dir.path(), name, body);
    let out = dir.path().join("m.json");
    let args = [
        "train",
        "--no-cv",
        "--data",
        &data,
        "--out",
        out.to_str().unwrap(),
    ];
    let o = slant(&args);
    (dir, data, out, o)
}

/// Expects `slant train` to fail cleanly on a labels file, naming it, and to write nothing.
fn train_fails(name: &str, body: impl AsRef<[u8]>, needle: &str) {
    let (dir, data, out, o) = train_on(name, body);
    assert_clean_failure(&o, needle);
    assert!(stderr(&o).contains(&data), "names the file: {}", stderr(&o));
    assert!(!out.exists(), "no model written");
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 1, "no stray file");
}

/// Expects `slant train` to succeed on a labels file; returns the model JSON.
fn train_ok(name: &str, body: &str) -> Value {
    let (_dir, _, out, o) = train_on(name, body);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

const LABELS: &str = "doc\tpara\tlabel\ttext\n\
a\t1\thawkish\tStrike the camps now.\n\
a\t2\thawkish\tClose the border until they stop.\n\
b\t1\tconciliatory\tReopen trade and keep talking.\n\
b\t2\tconciliatory\tPatience will do more than raids.\n";

#[test]
fn labels_with_missing_or_unknown_columns() {
    train_fails(
        "a.tsv",
        LABELS.replacen("text", "body", 1),
        "no column named `text` (found: doc, para, label, body); name the right one with --text-col",
    );
    // No header row at all: the first row's values are shown as the columns found.
    let headless: String = LABELS.lines().skip(1).map(|l| format!("{l}\n")).collect();
    train_fails(
        "b.tsv",
        headless,
        "(found: a, 1, hawkish, Strike the camps now.)",
    );
    train_fails("c.tsv", "", "the file is empty; it needs a header row");
    // Extra columns are ignored, and names match without regard to case.
    let extra = LABELS
        .replacen("text\n", "Text\tnotes\n", 1)
        .replace(".\n", ".\tsome note\n");
    let m = train_ok("d.tsv", &extra);
    assert_eq!(m["provenance"]["paragraphs"], 4);
}

/// `LABELS` with `from` replaced by `to`, as bytes.
fn labels_with(from: &str, to: &str) -> Vec<u8> {
    LABELS.replace(from, to).into_bytes()
}

#[test]
fn labels_with_bad_rows() {
    let cases: [(Vec<u8>, &str); 6] = [
        (
            labels_with("Strike the camps now.", "  "),
            "line 2: empty `text` field",
        ),
        (
            format!("{LABELS}c\t1\tcritical\tThe policy failed.\n").into_bytes(),
            "line 6: label `critical` is used only once",
        ),
        (
            labels_with("conciliatory", "hawkish"),
            "only one label (hawkish) in column `label`",
        ),
        (
            labels_with("b\t1\tconciliatory\t", "b\t1\tconciliatory\textra\t"),
            "line 4: 5 fields where the header has 4",
        ),
        (
            labels_with("a\t2\t", "a\t1\t"),
            "line 3: duplicate paragraph id a:1 (first at ",
        ),
        (b"\x89PNG\r\n\x1a\n\0".to_vec(), "this is a PNG image"),
    ];
    for (body, needle) in cases {
        train_fails("a.tsv", body, needle);
    }
}

#[test]
fn latin1_labels_are_read_with_one_warning() {
    // Labels exported by other tools are often Latin-1: read as such, with a warning naming the
    // file and the line of the first bad byte (an article that is not UTF-8 is still an error).
    let body = LABELS.replace("Close the border", "Close the caf\u{e9} border");
    let latin1: Vec<u8> = body.chars().map(|c| u8::try_from(c).unwrap()).collect();
    let (_dir, data, out, o) = train_on("a.tsv", latin1);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("slant: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(&format!("{data} is not UTF-8 (first bad byte on line 3)")),
        "{err}"
    );
    let m: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(m["provenance"]["paragraphs"], 4);
}

#[test]
fn quotes_and_tabs_inside_fields() {
    // Quoted fields may hold tabs, commas, doubled quotes and line breaks, in TSV and CSV;
    // curly quotes and quotes inside an unquoted field are plain text.
    let tsv = LABELS.replace(
        "Strike the camps now.",
        "\"Strike\tthe \"\"camps\"\",\nnow.\"",
    );
    let curly = LABELS.replace("Strike the camps now.", "“Strike” the \"camps\" now.");
    let csv = "doc,label,text\n\
a,hawkish,\"Strike, and \"\"strike\"\"\tagain.\"\n\
a,hawkish,Close the border.\n\
b,conciliatory,He said \"talk\" and meant it.\n\
b,conciliatory,Trade first.\n";
    for (name, body) in [("a.tsv", tsv.as_str()), ("b.tsv", &curly), ("c.csv", csv)] {
        assert_eq!(
            train_ok(name, body)["provenance"]["paragraphs"],
            4,
            "{name}"
        );
    }
    let cases = [
        // A raw tab in an unquoted TSV text splits it: a ragged row.
        (
            "Strike the camps",
            "Strike\tthe camps",
            "line 2: 5 fields where the header has 4",
        ),
        // A quote that never closes would swallow the rows below it.
        (
            "Strike the camps now.",
            "\"Strike the camps now.",
            "line 2: a quoted field starts here and never ends",
        ),
        // A field that starts with a quote must end with it.
        (
            "Strike the camps now.",
            "\"Strike\" the camps now.",
            "line 2: field 4 has text after its closing quote",
        ),
    ];
    for (from, to, needle) in cases {
        train_fails("a.tsv", labels_with(from, to), needle);
    }
}

#[test]
fn labels_with_bom_and_crlf_read_like_plain_ones() {
    let plain = train_ok("a.tsv", LABELS);
    let odd = format!("\u{feff}{}", LABELS.replace('\n', "\r\n"));
    let m = train_ok("b.tsv", &odd);
    assert_eq!(m["featurizer"], plain["featurizer"]);
    assert_eq!(m["weights"], plain["weights"]);
}

#[test]
fn json_lines_errors_name_the_line() {
    let body =
        "{\"doc\":\"a\",\"label\":\"x\",\"text\":\"One\"}\n{\"doc\":\"b\",\"label\":\"y\"}\n";
    train_fails(
        "a.jsonl",
        body,
        "line 2: no field `text` (found: doc, label)",
    );
    train_fails("b.jsonl", "{\"doc\": \"a\",\n", "line 1: not a JSON object");
}

#[test]
fn eval_fails_on_bad_labels_the_same_way() {
    let dir = temp();
    let data = put(
        dir.path(),
        "a.tsv",
        LABELS.replace("conciliatory", "hawkish"),
    );
    assert_clean_failure(&slant(&["eval", "--data", &data]), "only one label");
}

// ---- model files ----------------------------------------------------------------------------

#[test]
fn broken_model_files_fail_cleanly_in_score_and_eval() {
    let dir = temp();
    let shipped = std::fs::read_to_string(root().join("models/stance.json")).unwrap();
    let mut v: Value = serde_json::from_str(&shipped).unwrap();
    v["featurizer"]["idf"].as_array_mut().unwrap().pop();
    let short_idf = v.to_string();
    let mut v: Value = serde_json::from_str(&shipped).unwrap();
    v["weights"][1].as_array_mut().unwrap().push(0.5.into());
    let long_weights = v.to_string();
    let mut v: Value = serde_json::from_str(&shipped).unwrap();
    v["intercept"][0] = 1e200.into();
    let huge = v.to_string();
    let version = slant::model::FORMAT_VERSION;
    let newer = shipped.replacen(
        &format!("\"format_version\": {version}"),
        &format!("\"format_version\": {}", version + 1),
        1,
    );
    let newer_message = format!(
        "model format version {} is not supported (this slant reads version {version})",
        version + 1
    );
    let cases: [(&str, &[u8], &str); 8] = [
        ("empty.json", b"", "the file is cut short (truncated?)"),
        (
            "trunc.json",
            &shipped.as_bytes()[..shipped.len() / 3],
            "truncated",
        ),
        ("text.json", b"This is not a model.\n", "not JSON"),
        ("png.json", b"\x89PNG\r\n\x1a\n\0\0", "not JSON"),
        ("newer.json", newer.as_bytes(), &newer_message),
        ("idf.json", short_idf.as_bytes(), "idf has"),
        (
            "weights.json",
            long_weights.as_bytes(),
            "the weights of class `critical` have",
        ),
        ("huge.json", huge.as_bytes(), "beyond"),
    ];
    let data = put(dir.path(), "held-out.tsv", LABELS);
    for (name, body, needle) in cases {
        let model = put(dir.path(), name, body);
        for o in [
            slant(&["score", "--model", &model]),
            slant(&["eval", "--model", &model, "--data", &data]),
        ] {
            assert_clean_failure(&o, needle);
            assert!(stderr(&o).contains(&model), "{}", stderr(&o));
            assert!(stderr(&o).contains("retrain it with `slant train`"));
            assert!(o.stdout.is_empty());
        }
    }
    assert_clean_failure(
        &slant(&["score", "--model", dir.path().to_str().unwrap()]),
        "cannot read model",
    );
}

// ---- output paths ---------------------------------------------------------------------------

#[test]
fn unwritable_model_paths_fail_before_training_and_leave_nothing() {
    let dir = temp();
    let file = put(dir.path(), "file", b"keep");
    let cases = [
        (
            format!("{}/no/such/dir/m.json", dir.path().display()),
            "does not exist; create the directory first",
        ),
        (format!("{file}/m.json"), "is a file, not a directory"),
        (
            dir.path().display().to_string(),
            "is a directory; name a file",
        ),
    ];
    // `tune` (which trains for minutes before it writes) checks first too.
    for (command, (out, needle)) in ["train", "tune"]
        .iter()
        .flat_map(|c| cases.iter().map(move |o| (c, o)))
    {
        let start = Instant::now();
        let o = slant(&[command, "--out", out]);
        assert_clean_failure(&o, needle);
        assert!(stderr(&o).contains(out.as_str()));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{command}: checked before training"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Root may write almost anywhere, so "unwritable" needs a directory that refuses everyone:
/// Linux's /proc accepts no new files, not even from root.
#[cfg(target_os = "linux")]
#[test]
fn a_directory_that_refuses_new_files_fails_cleanly() {
    if !Path::new("/proc/self").is_dir() {
        return;
    }
    let dir = temp();
    let data = put(dir.path(), "a.tsv", LABELS);
    let o = slant(&[
        "train",
        "--no-cv",
        "--data",
        &data,
        "--out",
        "/proc/slant-model.json",
    ]);
    assert_clean_failure(&o, "/proc/slant-model.json: cannot write");
    assert!(!Path::new("/proc/slant-model.json").exists());
}

/// Regression: Ctrl-C (or SIGTERM) during `score --out` used to leave the `.out.tmp<pid>` file,
/// since a signal ends the process without destructors. Standard input held open keeps the run
/// waiting with its temporary file created.
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    for signal in ["-INT", "-TERM"] {
        let dir = temp();
        let out = dir.path().join("scores.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_slant"))
            .args(["score", "--out", out.to_str().unwrap(), "-"])
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(ARTICLE.as_bytes()).unwrap();
        let tmp = dir.path().join(format!(".scores.jsonl.tmp{}", child.id()));
        let start = Instant::now();
        while !tmp.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no temporary file"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let o = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(o.status.code(), Some(130), "{signal}: {}", stderr(&o));
        assert!(stderr(&o).contains("slant: interrupted"), "{}", stderr(&o));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{signal}: left {left:?}");
    }
}
