//! `slant train` and `slant eval` driven through the binary.
mod common;
use common::*;

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn training_twice_writes_identical_bytes_and_the_model_describes_itself() {
    let dir = temp();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for out in [&a, &b] {
        let o = slant(&["train", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(bytes, std::fs::read(&b).unwrap());
    let m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(m["format_version"], slant::model::FORMAT_VERSION);
    assert_eq!(
        m["classes"],
        serde_json::json!(["conciliatory", "critical", "hawkish"])
    );
    assert_eq!(
        m["featurizer"]["config"]["ngram_range"],
        serde_json::json!([1, 2])
    );
    let vocab = m["featurizer"]["vocabulary"].as_array().unwrap();
    assert!(vocab.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
    assert_eq!(m["weights"][0].as_array().unwrap().len(), vocab.len());
    assert_eq!(m["provenance"]["paragraphs"], 70);
    assert_eq!(
        m["provenance"]["cross_validation"]["scheme"],
        "leave-one-group-out (5 folds)"
    );
    let file = &m["provenance"]["training_files"][0];
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(file["role"], "data");
    assert_eq!(file["path"], "labels/seeds.tsv");
}

#[test]
fn eval_json_has_the_documented_keys() {
    let o = slant(&["eval", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for key in [
        "n",
        "labels",
        "accuracy",
        "macro_f1",
        "per_class",
        "confusion",
        "baseline_accuracy",
        "baseline_macro_f1",
        "accuracy_ci95",
        "macro_f1_ci95",
        "clear",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["n"], 70);
    let ci = v["accuracy_ci95"].as_array().unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    assert!(ci[0].as_f64().unwrap() <= acc && acc <= ci[1].as_f64().unwrap());
    let confusion_total: u64 = v["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(confusion_total, 70);
    assert!(v["clear"]["n"].as_u64().unwrap() < 70);
}

#[test]
fn eval_table_shows_baseline_and_intervals() {
    let o = slant(&["eval", "--folds", "2"]);
    let out = stdout(&o);
    assert!(
        out.contains("grouped 2-fold")
            && out.contains("majority baseline")
            && out.contains("95% CI"),
        "{out}"
    );
    assert!(out.contains("clear paragraphs only"), "{out}");
}

#[test]
fn a_saved_model_is_never_scored_on_its_training_paragraphs() {
    let o = slant(&[
        "eval",
        "--model",
        "models/stance.json",
        "--data",
        "labels/seeds.tsv",
    ]);
    assert_clean_failure(&o, "were in the model's training data");
}

const SENTIMENT: &str = "review,sentence,sentiment\n\
r1,\"The food was lovely, and the staff were kind.\",positive\n\
r1,The dessert was a delight.,positive\n\
r2,\"Cold soup, rude waiter, never again.\",negative\n\
r2,The bill was wrong and nobody apologised.,negative\n\
r3,A lovely evening with kind service.,positive\n\
r3,Rude staff and a cold room.,negative\n\
r4,\"Kind people, lovely view.\",positive\n\
r4,\"Wrong order, cold fries.\",negative\n";

#[test]
fn trains_any_label_set_from_csv_with_named_columns() {
    let dir = temp();
    let data = dir.path().join("reviews.csv");
    std::fs::write(&data, SENTIMENT).unwrap();
    let model = dir.path().join("sent.json");
    let args = [
        "--data",
        data.to_str().unwrap(),
        "--text-col",
        "sentence",
        "--label-col",
        "sentiment",
        "--group-col",
        "review",
    ];
    let mut train = vec!["train", "--out", model.to_str().unwrap()];
    train.extend(args);
    let o = slant(&train);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(m["classes"], serde_json::json!(["negative", "positive"]));
    assert_eq!(m["provenance"]["groups"], 4);

    let mut eval = vec!["eval", "--json"];
    eval.extend(args);
    let v: serde_json::Value = serde_json::from_str(&stdout(&slant(&eval))).unwrap();
    assert_eq!(v["n"], 8);
    assert!(v["clear"].is_null());

    let article = dir.path().join("review.txt");
    std::fs::write(
        &article,
        "The staff were kind and the food lovely.\nCold, rude and wrong.\n",
    )
    .unwrap();
    let o = slant(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["label"], "positive");
    assert_eq!(rows[1]["label"], "negative");
}

#[test]
fn bad_labelled_data_fails_cleanly() {
    let dir = temp();
    let cases: [(&str, &str, &str); 5] = [
        (
            "a.tsv",
            "doc\tlabel\tbody\nd\tx\tt\n",
            "no column named `text`",
        ),
        ("b.tsv", "doc\tlabel\ttext\nd\tx\tone\nd\ty\n", "line 3"),
        (
            "c.tsv",
            "doc\tlabel\ttext\nd\tx\tone\ne\tx\ttwo\n",
            "only one label",
        ),
        (
            "d.tsv",
            "doc\tlabel\ttext\nd\tx\tone\ne\tx\ttwo\nf\ty\tthree\n",
            "`y` is used only once",
        ),
        ("e.txt", "doc\tlabel\ttext\n", "unknown file extension"),
    ];
    for (name, body, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let o = slant(&[
            "train",
            "--data",
            p.to_str().unwrap(),
            "--out",
            dir.path().join("m.json").to_str().unwrap(),
        ]);
        assert_clean_failure(&o, needle);
    }
    assert!(
        !dir.path().join("m.json").exists(),
        "no model written on failure"
    );
}

#[test]
fn bad_hyper_parameters_are_rejected_before_training() {
    assert_clean_failure(&slant(&["eval", "--alpha", "0"]), "alpha");
    assert_clean_failure(&slant(&["eval", "--ngram-max", "0"]), "ngram_range");
    assert_clean_failure(&slant(&["eval", "--folds", "9"]), "folds");
}

#[test]
fn model_output_into_missing_directory_fails_cleanly() {
    assert_clean_failure(
        &slant(&["train", "--no-cv", "--out", "/nonexistent-dir/m.json"]),
        "does not exist",
    );
}

#[test]
fn eval_writes_every_held_out_prediction_and_a_confidence_table() {
    let dir = temp();
    let more = dir.path().join("more.tsv");
    std::fs::write(
        &more,
        "doc\tpara\tlabel\ttext\n\
         x\t1\thawkish\tStrike the camps now; warnings have run their course.\n\
         x\t2\tconciliatory\tTalk to Kabul and reopen trade at Torkham.\n\
         y\t1\tneutral\tThe committee met on Tuesday.\n\
         y\t2\tneutral\tIt will meet again next month.\n",
    )
    .unwrap();
    let preds = dir.path().join("p.jsonl");
    let check = |rows: &[serde_json::Value], classes: &[&str]| {
        for r in rows {
            let probs = r["probs"].as_object().unwrap();
            assert_eq!(probs.keys().collect::<Vec<_>>(), classes);
            let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
            assert!((sum - 1.0).abs() < 1e-9, "{r}");
            let top = probs
                .iter()
                .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
                .unwrap();
            assert_eq!(r["predicted"].as_str(), Some(top.0.as_str()), "{r}");
            assert_eq!(r["correct"], r["label"] == r["predicted"]);
            assert!(r["margin"].as_f64().unwrap() >= 0.0);
        }
    };

    // Cross-validation over two --data files: every paragraph of both, in file order.
    let args = [
        "eval",
        "--folds",
        "2",
        "--data",
        "labels/seeds.tsv",
        "--data",
        more.to_str().unwrap(),
    ];
    let mut with_preds = args.to_vec();
    with_preds.extend(["--predictions", preds.to_str().unwrap(), "--by-confidence"]);
    let o = slant(&with_preds);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("by top probability"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("  [0.90, 1.00]") && l.split_whitespace().nth(5) == Some("74")),
        "the last bin's running count is every paragraph: {table}"
    );
    let rows = json_lines(&std::fs::read_to_string(&preds).unwrap());
    assert_eq!(rows.len(), 74);
    check(&rows, &["conciliatory", "critical", "hawkish", "neutral"]);
    assert_eq!(rows[0]["file"], "labels/seeds.tsv");
    assert_eq!(rows[0]["line"], 2);
    let last = &rows[73];
    assert_eq!(last["file"], more.to_str().unwrap());
    assert_eq!(
        (&last["doc"], &last["para"], &last["line"]),
        (&"y".into(), &"2".into(), &5.into())
    );
    let mut json = args.to_vec();
    json.push("--json");
    let v: serde_json::Value = serde_json::from_str(&stdout(&slant(&json))).unwrap();
    let correct = rows.iter().filter(|r| r["correct"] == true).count();
    assert_eq!(correct as f64 / 74.0, v["accuracy"].as_f64().unwrap());

    // A saved model on held-out data with a label it does not know: that label's probability is 0.
    let model = dir.path().join("m.json");
    assert!(
        slant(&["train", "--no-cv", "--out", model.to_str().unwrap()])
            .status
            .success()
    );
    let o = slant(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        more.to_str().unwrap(),
        "--predictions",
        preds.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&std::fs::read_to_string(&preds).unwrap());
    assert_eq!(rows.len(), 4);
    check(&rows, &["conciliatory", "critical", "hawkish", "neutral"]);
    assert!(rows.iter().all(|r| r["probs"]["neutral"] == 0.0));
    assert_eq!(rows[2]["correct"], false);
}

#[test]
fn both_solvers_train_and_the_model_records_how_the_fit_ended() {
    let dir = temp();
    for solver in ["lbfgs", "linfa"] {
        let out = dir.path().join(format!("{solver}.json"));
        let o = slant(&[
            "train",
            "--no-cv",
            "--solver",
            solver,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
        let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(m["hyperparameters"]["solver"], solver);
        let fit = &m["provenance"]["fit"];
        assert_eq!(fit["solver"], solver);
        assert_eq!(fit["converged"], true);
        assert!(
            fit["gradient_norm"].as_f64().unwrap() < fit["tolerance"].as_f64().unwrap(),
            "{fit}"
        );
        assert!(fit["vocabulary_cap"].is_null());
        if solver == "lbfgs" {
            assert_eq!(fit["stop"], "gradient_tolerance");
            assert!(fit["iterations"].as_u64().unwrap() > 0);
        } else {
            assert_eq!(fit["stop"], "not_reported");
            assert!(fit["iterations"].is_null());
        }
    }
}

#[test]
fn training_warns_when_the_iteration_cap_stops_a_fit() {
    let dir = temp();
    let out = dir.path().join("m.json");
    let o = slant(&[
        "train",
        "--max-iter",
        "3",
        "--folds",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("slant: warning: final fit: the lbfgs solver did not converge: it reached the iteration cap")
            && err.contains("raise --max-iter (now 3)"),
        "{err}"
    );
    assert!(
        err.contains(
            "slant: warning: cross-validation: the lbfgs solver did not converge in 2 of 2 fits"
        ),
        "{err}"
    );
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let fit = &m["provenance"]["fit"];
    assert_eq!(fit["stop"], "iteration_cap");
    assert_eq!(fit["converged"], false);
    assert_eq!(fit["iterations"], 3);
    // eval says the same about its folds.
    let o = slant(&["eval", "--max-iter", "3", "--folds", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cross-validation: the lbfgs solver did not converge in 2 of 2 fits"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_solver_is_refused() {
    let o = slant(&["train", "--solver", "sgd"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`sgd` is not a solver; use `lbfgs` or `linfa`"),
        "{}",
        stderr(&o)
    );
}
