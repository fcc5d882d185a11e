//! `slant score` with the shipped model.
mod common;
use common::*;

#[test]
fn scores_every_seed_paragraph_with_probabilities_that_sum_to_one() {
    let o = slant(&["score"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 70);
    for r in &rows {
        let probs = r["probs"].as_object().unwrap();
        assert_eq!(
            probs.keys().collect::<Vec<_>>(),
            ["conciliatory", "critical", "hawkish"]
        );
        let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let best = probs
            .iter()
            .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
            .unwrap()
            .0;
        assert_eq!(r["label"].as_str().unwrap(), best);
    }
    assert!(
        stderr(&o).contains("5 files, 70 paragraphs, 0 errors"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn scores_standard_input() {
    let o = slant_in(
        &root(),
        &["score", "-"],
        Some("Islamabad should reopen Torkham and keep talking.\n".as_bytes()),
    );
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["doc"], "-");
}

#[test]
fn an_unreadable_input_gets_an_error_record_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&good, "The border should reopen for trade.\n").unwrap();
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n\0\0\0").unwrap();
    let o = slant(&["score", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 2);
    assert!(rows[1]["error"].as_str().unwrap().contains("PNG image"));
    assert!(stderr(&o).contains("2 files, 1 paragraphs, 1 errors"));
}

#[test]
fn bad_model_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("models/stance.json")).unwrap();
    let cases = [
        ("notjson.json", "hello".to_string(), "not JSON"),
        (
            "trunc.json",
            shipped[..shipped.len() / 2].to_string(),
            "truncated",
        ),
        (
            "newer.json",
            shipped.replacen("\"format_version\": 1", "\"format_version\": 99", 1),
            "version 99",
        ),
        (
            "shape.json",
            shipped.replacen(
                "\"weights\": [\n    [\n",
                "\"weights\": [\n    [\n      0.5,\n",
                1,
            ),
            "weights of class",
        ),
    ];
    for (name, body, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        assert_clean_failure(&slant(&["score", "--model", p.to_str().unwrap()]), needle);
    }
}

#[test]
fn missing_input_and_empty_directory_fail_cleanly() {
    assert_clean_failure(&slant(&["score", "nowhere.txt"]), "nowhere.txt");
    let dir = tempfile::tempdir().unwrap();
    assert_clean_failure(
        &slant(&["score", dir.path().to_str().unwrap()]),
        "no .txt or .md files",
    );
}
