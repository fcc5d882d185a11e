//! The accuracy toolkit: extra training data, context features, tuning, explanations, and other
//! people's labelled data.
mod common;
use common::*;

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn eval_json(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["eval", "--json"];
    a.extend_from_slice(args);
    let o = slant(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn extra_data_trains_every_fold_but_is_never_tested() {
    let dir = temp();
    let extra = dir.path().join("extra.tsv");
    std::fs::write(
        &extra,
        "doc\tlabel\ttext\nx1\thawkish\tStrike the camps now.\nx2\tconciliatory\tTalk to Kabul now.\nx3\tcritical\tThe policy failed.\n",
    )
    .unwrap();
    let v = eval_json(&["--extra", extra.to_str().unwrap(), "--folds", "5"]);
    assert_eq!(v["n"], 70, "only --data paragraphs are tested");
    assert!(
        v["scheme"].as_str().unwrap().contains("also trained on"),
        "{}",
        v["scheme"]
    );
    let o = slant(&[
        "eval",
        "--model",
        "models/stance.json",
        "--extra",
        extra.to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "--extra");
}

#[test]
fn context_features_make_neighbours_count_and_a_lone_paragraph_has_none() {
    let dir = temp();
    let model = dir.path().join("ctx.json");
    let o = slant(&[
        "train",
        "--no-cv",
        "--out",
        model.to_str().unwrap(),
        "--context-window",
        "1",
        "--neighbour-weight",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(m["featurizer"]["config"]["context"]["window"], 1);
    let article = "Islamabad must close the crossings until the camps are gone.\n\nTrade and talks have failed before, and the army knows it.\n";
    let together = json_lines(&stdout(&slant_in(
        &root(),
        &["score", "--model", model.to_str().unwrap(), "-"],
        Some(article.as_bytes()),
    )));
    assert_eq!(together.len(), 2);
    let first_alone = json_lines(&stdout(&slant_in(
        &root(),
        &["score", "--model", model.to_str().unwrap(), "-"],
        Some(article.lines().next().unwrap().as_bytes()),
    )));
    assert_ne!(
        together[0]["probs"], first_alone[0]["probs"],
        "the neighbour changed the scores"
    );

    // JSON Lines records `doc:n` of one doc are one article, scored together as the file was;
    // a record without a doc prefix is an article of its own, like the lone paragraph. (A doc's
    // records must be consecutive: interleaved with another doc's, they are refused.)
    let paras: Vec<&str> = article.split("\n\n").map(str::trim).collect();
    let record = |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string();
    let score_records = |records: [String; 3]| {
        slant_in(
            &root(),
            &[
                "score",
                "--model",
                model.to_str().unwrap(),
                "--input",
                "jsonl",
                "-",
            ],
            Some(records.join("\n").as_bytes()),
        )
    };
    let interleaved = score_records([
        record("a:1", paras[0]),
        record("lone", paras[0]),
        record("a:2", paras[1]),
    ]);
    assert_clean_failure(&interleaved, "line 3: doc `a` comes back after other docs");
    let o = score_records([
        record("a:1", paras[0]),
        record("a:2", paras[1]),
        record("lone", paras[0]),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("3 records, 3 paragraphs"),
        "{}",
        stderr(&o)
    );
    let rows = json_lines(&stdout(&o));
    let ids: Vec<(&str, u64)> = rows
        .iter()
        .map(|r| (r["doc"].as_str().unwrap(), r["para"].as_u64().unwrap()))
        .collect();
    assert_eq!(ids, [("a", 1), ("a", 2), ("lone", 1)], "grouped by article");
    assert_eq!(rows[0]["probs"], together[0]["probs"]);
    assert_eq!(rows[1]["probs"], together[1]["probs"]);
    assert_eq!(rows[2]["probs"], first_alone[0]["probs"]);
}

#[test]
fn tune_writes_the_chosen_config_and_the_nested_estimate() {
    let dir = temp();
    let out = dir.path().join("tuned.json");
    let o = slant(&[
        "tune",
        "--quick",
        "--outer-folds",
        "2",
        "--inner-folds",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("nested: grouped 2-fold outer") && err.contains("majority baseline"),
        "{err}"
    );
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let t = &m["provenance"]["tuning"];
    assert_eq!(t["outer_folds"], 2);
    assert_eq!(t["outer_choices"].as_array().unwrap().len(), 2);
    assert!(t["nested_macro_f1"].as_f64().is_some());
    assert!(m["provenance"]["cross_validation"]["macro_f1"]
        .as_f64()
        .is_some());
}

#[test]
fn explain_lists_terms_per_class_and_score_can_explain_each_paragraph() {
    let o = slant(&["explain", "--top", "4", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for class in ["conciliatory", "critical", "hawkish"] {
        let terms = v[class].as_array().unwrap();
        assert_eq!(terms.len(), 4);
        let w: Vec<f64> = terms
            .iter()
            .map(|t| t["weight"].as_f64().unwrap())
            .collect();
        assert!(w.windows(2).all(|p| p[0] >= p[1]), "sorted by weight");
    }
    let table = stdout(&slant(&["explain", "--top", "3"]));
    assert!(
        table.contains("hawkish") && table.contains("conciliatory"),
        "{table}"
    );

    let rows = json_lines(&stdout(&slant(&[
        "score",
        "--explain",
        "--top",
        "2",
        "seeds/002_a9f94d5f932e72c9.txt",
    ])));
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let terms = r["terms"].as_array().unwrap();
        assert!(!terms.is_empty() && terms.len() <= 2);
        assert!(terms.iter().all(|t| t["weight"].as_f64().unwrap() > 0.0));
    }

    // CSV and TSV: a `terms` column of `term:weight` pairs, before `error`.
    for (format, sep) in [("csv", ','), ("tsv", '\t')] {
        let o = slant(&[
            "score",
            "--explain",
            "--top",
            "2",
            "--format",
            format,
            "seeds/002_a9f94d5f932e72c9.txt",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sep as u8)
            .from_reader(o.stdout.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(&header[header.len() - 2..], ["terms", "error"]);
        let cells: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[header.len() - 2].to_owned())
            .collect();
        assert_eq!(cells.len(), 6);
        for (cell, r) in cells.iter().zip(&rows) {
            let json_terms: Vec<&str> = r["terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["term"].as_str().unwrap())
                .collect();
            let csv_terms: Vec<&str> = cell
                .split(';')
                .map(|pair| {
                    let (term, weight) = pair.rsplit_once(':').unwrap();
                    assert!(weight.parse::<f64>().unwrap() > 0.0, "{cell}");
                    term
                })
                .collect();
            assert_eq!(csv_terms, json_terms);
        }
    }
    assert_clean_failure(
        &slant(&["score", "--explain", "--per", "doc", "seeds"]),
        "--per doc",
    );
}

/// Stance-detection style data: Latin-1 bytes, CR-only line endings, FAVOR/AGAINST/NONE labels,
/// hashtags and @mentions, quoted fields. Written for this test.
fn tweets() -> Vec<u8> {
    let rows = [
        (
            "u1",
            "FAVOR",
            "Talks in Doha were the right call #peace @envoy",
        ),
        (
            "u1",
            "FAVOR",
            "\"Reopen Torkham, trade heals\" says the caf\u{e9} owner #trade",
        ),
        (
            "u2",
            "AGAINST",
            "No more talks with those who shelter killers #NoTalks",
        ),
        (
            "u2",
            "AGAINST",
            "Close the border and strike the camps @army",
        ),
        ("u3", "NONE", "Weather in Peshawar is hot today #summer"),
        ("u3", "NONE", "Cricket tonight at the stadium @fans"),
        ("u4", "FAVOR", "Dialogue beats drones every time #peace"),
        ("u4", "AGAINST", "Strike first, talk later @army #NoTalks"),
        ("u5", "NONE", "New bakery opened near the bazaar #food"),
    ];
    let mut s = String::from("user,stance,tweet\r");
    for (u, l, t) in rows {
        s.push_str(&format!("{u},{l},\"{}\"\r", t.replace('"', "\"\"")));
    }
    // Latin-1: every char here is below U+0100.
    s.chars().map(|c| c as u32 as u8).collect()
}

#[test]
fn other_peoples_labelled_data_trains_and_evaluates_without_fuss() {
    let dir = temp();
    let data = dir.path().join("tweets.csv");
    std::fs::write(&data, tweets()).unwrap();
    let cols = [
        "--data",
        data.to_str().unwrap(),
        "--text-col",
        "tweet",
        "--label-col",
        "stance",
        "--group-col",
        "user",
    ];
    let mut eval = vec!["eval", "--json", "--folds", "5"];
    eval.extend(cols);
    let o = slant(&eval);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("read it as Latin-1"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["labels"], serde_json::json!(["AGAINST", "FAVOR", "NONE"]));
    assert_eq!(v["n"], 9);
    let model = dir.path().join("m.json");
    let mut train = vec!["train", "--out", model.to_str().unwrap(), "--folds", "5"];
    train.extend(cols);
    assert!(slant(&train).status.success());
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    let vocab: Vec<&str> = m["featurizer"]["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        vocab.contains(&"notalk") && vocab.contains(&"café"),
        "hashtags and accents survive: {vocab:?}"
    );
}
