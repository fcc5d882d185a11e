//! `slant compare` driven through the binary.
mod common;
use common::*;

const FAST: [&str; 2] = ["--permutations", "199"];

fn compare(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compare", "--outlets", "seeds/outlets.tsv"];
    args.extend(FAST);
    args.extend(extra);
    slant(&args)
}

#[test]
fn the_table_names_every_outlet_warns_about_small_ones_and_shows_the_model() {
    let o = compare(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "Stratheia",
        "ThePrint",
        "unknown",
        "only 1 article: fewer than 5",
        "only 3 articles",
        "majority baseline",
        "70 of 70 paragraphs were in the model's training data",
        "199 permutations",
    ] {
        assert!(out.contains(needle), "{needle:?} missing in:\n{out}");
    }
    assert!(stderr(&o).contains("3 outlets, 5 articles, 70 paragraphs"));
}

#[test]
fn json_is_deterministic_and_complete() {
    let a = compare(&["--json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(
        a.stdout,
        compare(&["--json"]).stdout,
        "same seed, same bytes"
    );
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["permutations"], 199);
    assert_eq!(v["resamples"], 1000);
    let outlets = v["outlets"].as_array().unwrap();
    let names: Vec<&str> = outlets
        .iter()
        .map(|o| o["outlet"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Stratheia", "ThePrint", "unknown"]);
    let u = &outlets[2];
    assert_eq!(
        (u["articles"].as_u64(), u["paragraphs"].as_u64()),
        (Some(3), Some(37))
    );
    assert_eq!(u["small_sample"], true);
    let shares = u["shares"].as_object().unwrap();
    let total: f64 = shares.values().map(|s| s["value"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
    for s in shares.values() {
        let (lo, x, hi) = (
            s["ci95"][0].as_f64().unwrap(),
            s["value"].as_f64().unwrap(),
            s["ci95"][1].as_f64().unwrap(),
        );
        assert!(lo <= x && x <= hi);
    }
    let net = u["net_slant"]["value"].as_f64().unwrap();
    let expect = shares["hawkish"]["value"].as_f64().unwrap()
        - shares["conciliatory"]["value"].as_f64().unwrap();
    assert!((net - expect).abs() < 1e-12);
    assert_eq!(u["critical_share"], shares["critical"]);
    let pairs = v["pairs"].as_array().unwrap();
    // `unknown` is not an outlet: only Stratheia vs ThePrint is tested.
    assert_eq!(pairs.len(), 4, "1 pair x (3 shares + net slant)");
    assert!(pairs
        .iter()
        .all(|p| p["a"] != "unknown" && p["b"] != "unknown"));
    for p in pairs {
        let pv = p["p_value"].as_f64().unwrap();
        assert!((1.0 / 200.0..=1.0).contains(&pv));
    }
    assert_eq!(v["model"]["training_files"][0]["path"], "labels/seeds.tsv");
}

#[test]
fn csv_is_tidy() {
    let o = compare(&["--csv"]);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("outlet,other,measure,value,ci95_low,ci95_high,p_value,permutations")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 8));
    assert!(rows
        .iter()
        .any(|r| r[0] == "unknown" && r[2] == "share_critical" && !r[4].is_empty()));
    assert!(rows.iter().any(|r| r[0] == "Stratheia"
        && r[1] == "ThePrint"
        && r[2] == "net_slant"
        && r[7] == "199"));
    assert!(!rows.iter().any(|r| r[1] == "unknown"));
}

#[test]
fn by_dir_makes_one_outlet_per_sub_directory_and_html_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let seeds: Vec<_> = std::fs::read_dir(root().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    for (i, p) in seeds.iter().enumerate() {
        let outlet = dir.path().join(if i < 2 { "alpha" } else { "beta" });
        std::fs::create_dir_all(&outlet).unwrap();
        std::fs::copy(p, outlet.join(p.file_name().unwrap())).unwrap();
    }
    let html = dir.path().join("report.html");
    let o = slant(&[
        "compare",
        "--by-dir",
        dir.path().to_str().unwrap(),
        "--permutations",
        "99",
        "--html",
        html.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["outlets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outlet"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<g class=\"bar-group\"").count(), 2);
    for banned in ["<script", "http:", "https:", "src=", "href=", "url("] {
        assert!(!page.contains(banned), "{banned} in the report");
    }
}

#[test]
fn bad_outlet_sources_fail_cleanly_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let manifest = dir.path().join("m.tsv");
    std::fs::write(&manifest, "path\toutlet\nmissing.txt\tDawn\n").unwrap();
    let o = slant(&[
        "compare",
        "--outlets",
        manifest.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "m.tsv line 2: ");
    assert!(!html.exists());
    std::fs::write(&manifest, "name\toutlet\nx\ty\n").unwrap();
    assert_clean_failure(
        &slant(&["compare", "--outlets", manifest.to_str().unwrap()]),
        "no column named `path`",
    );
    assert_clean_failure(&slant(&["compare", "--by-dir", "nowhere"]), "nowhere");
    assert_clean_failure(
        &slant(&[
            "compare",
            "--outlets",
            "seeds/outlets.tsv",
            "--permutations",
            "0",
        ]),
        "permutations",
    );
    let o = slant(&["compare"]);
    assert_eq!(o.status.code(), Some(2), "clap requires an outlet source");
}
