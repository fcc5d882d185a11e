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
            // Cut after a comma: a cut inside a number reads as a bad number, not as a
            // truncation (which of the two depended on the shipped model's bytes).
            shipped[..=shipped[..shipped.len() / 2].rfind(',').unwrap()].to_string(),
            "truncated",
        ),
        (
            "newer.json",
            shipped.replacen(
                &format!("\"format_version\": {}", slant::model::FORMAT_VERSION),
                "\"format_version\": 99",
                1,
            ),
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
        "no .txt, .md, .html, .htm files",
    );
}

#[test]
fn csv_and_tsv_have_one_probability_column_per_class_and_an_uncertain_flag() {
    for (format, sep) in [("csv", ','), ("tsv", '\t')] {
        let o = slant(&[
            "score",
            "--format",
            format,
            "--outlets",
            "seeds/outlets.tsv",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let mut lines = out.lines();
        let header: Vec<&str> = lines.next().unwrap().split(sep).collect();
        assert_eq!(
            header,
            [
                "doc",
                "para",
                "outlet",
                "label",
                "p_conciliatory",
                "p_critical",
                "p_hawkish",
                "margin",
                "uncertain",
                "error"
            ]
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(sep).collect()).collect();
        assert_eq!(rows.len(), 70);
        for r in &rows {
            let p: Vec<f64> = r[4..7].iter().map(|v| v.parse().unwrap()).collect();
            let mut sorted = p.clone();
            sorted.sort_by(f64::total_cmp);
            let margin: f64 = r[7].parse().unwrap();
            assert!((margin - (sorted[2] - sorted[1])).abs() < 1e-12);
            assert_eq!(r[8], (sorted[2] < 0.5).to_string());
        }
        assert_eq!(rows[0][2], "Stratheia");
        assert_eq!(rows[20][2], "ThePrint");
        assert_eq!(rows[69][2], "unknown");
    }
}

#[test]
fn min_confidence_sets_the_uncertain_flag_and_is_checked() {
    let all = json_lines(&stdout(&slant(&["score", "--min-confidence", "1"])));
    assert!(all.iter().all(|r| r["uncertain"] == true));
    let none = json_lines(&stdout(&slant(&["score", "--min-confidence", "0"])));
    assert!(none.iter().all(|r| r["uncertain"] == false));
    assert_clean_failure(
        &slant(&["score", "--min-confidence", "1.5"]),
        "min-confidence",
    );
}

#[test]
fn per_doc_gives_one_record_per_article() {
    let o = slant(&["score", "--per", "doc"]);
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 5);
    let paras: u64 = rows.iter().map(|r| r["paragraphs"].as_u64().unwrap()).sum();
    assert_eq!(paras, 70);
    for r in &rows {
        let shares = r["shares"].as_object().unwrap();
        let sum: f64 = shares.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let best = shares
            .iter()
            .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
            .unwrap()
            .0;
        assert_eq!(r["label"].as_str().unwrap(), best, "{r}");
        let mean: f64 = r["mean_probs"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((mean - 1.0).abs() < 1e-9);
    }
}

#[test]
fn out_writes_the_file_and_a_bad_destination_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.tsv");
    let o = slant(&["score", "--format", "tsv", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 71);
    let missing = dir.path().join("no/such/dir/s.csv");
    let o = slant(&["score", "--out", missing.to_str().unwrap()]);
    assert_clean_failure(&o, "does not exist");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn jsonl_records_are_scored_as_given_and_bad_records_name_the_line() {
    let records = "{\"id\":\"dawn-1:1\",\"text\":\"Reopen Torkham and keep talking to Kabul.\",\"outlet\":\"Dawn\"}\n\
                   {\"id\":\"dawn-1:2\",\"text\":\"Follow Us\",\"outlet\":\"Dawn\"}\n\
                   {\"id\":\"solo\",\"text\":\"The policy failed.\"}\n";
    let o = slant_in(
        &root(),
        &["score", "--input", "jsonl", "-"],
        Some(records.as_bytes()),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 3, "no furniture filtering of records");
    assert_eq!(
        (rows[0]["doc"].as_str(), rows[0]["para"].as_u64()),
        (Some("dawn-1"), Some(1))
    );
    assert_eq!(rows[0]["outlet"], "Dawn");
    assert_eq!(rows[1]["para"], 2);
    assert_eq!(rows[2]["doc"], "solo");
    assert_eq!(rows[2]["outlet"], "unknown");
    assert!(
        stderr(&o).contains("3 records, 3 paragraphs, 0 errors"),
        "{}",
        stderr(&o)
    );

    let per_doc = slant_in(
        &root(),
        &["score", "--input", "jsonl", "--per", "doc", "-"],
        Some(records.as_bytes()),
    );
    let docs = json_lines(&stdout(&per_doc));
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["paragraphs"], 2);

    assert_clean_failure(
        &slant_in(
            &root(),
            &[
                "score",
                "--input",
                "jsonl",
                "--outlets",
                "seeds/outlets.tsv",
                "-",
            ],
            Some(records.as_bytes()),
        ),
        "`outlet` field",
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"a\",\"text\":\"ok.\"}\n{\"id\":\"b\",\"text\":\"\"}\n",
    )
    .unwrap();
    let o = slant(&["score", "--input", "jsonl", bad.to_str().unwrap()]);
    assert_clean_failure(&o, "bad.jsonl line 2: record `b` has no `text`");
    assert!(stdout(&o).is_empty(), "nothing written before the error");
}

#[test]
fn html_pages_are_read_through_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("page.html"),
        "<!DOCTYPE html><html><head><title>T</title><script>var a = 1;</script></head><body>\
         <nav><a href=\"/\">Home</a></nav><article><h1>Talks with Kabul</h1>\
         <p>By A Writer</p>\
         <p>Islamabad should reopen Torkham &amp; keep the talks going with Kabul.</p>\
         <p>Closing the border punishes traders on both sides.</p>\
         <section id=\"comments\"><p>First! Great piece.</p></section></article>\
         <footer><p>Copyright 2024 The Paper.</p></footer></body></html>",
    )
    .unwrap();
    let o = slant(&["score", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 2, "{}", stdout(&o));
    assert_eq!(rows[0]["doc"], "page");
    let split = slant(&["split", dir.path().to_str().unwrap()]);
    let paras = json_lines(&stdout(&split));
    assert_eq!(
        paras[0]["text"],
        "Islamabad should reopen Torkham & keep the talks going with Kabul."
    );
}

#[test]
fn an_unreadable_input_in_csv_gets_an_error_row() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"\xff\xfe\x00").unwrap();
    let o = slant(&[
        "score",
        "--format",
        "csv",
        "seeds/000_95313ee95ae6aa05.txt",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("bad,,,,,,,,,"), "{last}");
    assert!(stderr(&o).contains("2 files, 15 paragraphs, 1 errors"));
}

#[test]
fn standard_input_that_starts_like_html_is_read_as_html() {
    let page = "<!DOCTYPE html><html><body><header>Site name</header>\
                <p>Islamabad should keep talking to Kabul.</p><br><br>\
                <footer>Copyright</footer></body></html>";
    let o = slant_in(&root(), &["split", "-"], Some(page.as_bytes()));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 1, "{}", stdout(&o));
    assert_eq!(rows[0]["text"], "Islamabad should keep talking to Kabul.");
}
