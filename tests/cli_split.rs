//! `slant split` on the shipped seeds and on small inputs.
mod common;
use common::*;

#[test]
fn splits_the_seeds_into_seventy_paragraphs_with_stable_ids() {
    let a = slant(&["split"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let rows = json_lines(&stdout(&a));
    assert_eq!(rows.len(), 70);
    let per_doc = |d: &str| rows.iter().filter(|r| r["doc"] == d).count();
    assert_eq!(per_doc("000_95313ee95ae6aa05"), 15);
    assert_eq!(per_doc("001_e0f29b29399b32f3"), 18);
    assert_eq!(per_doc("002_a9f94d5f932e72c9"), 6);
    assert_eq!(per_doc("003_c07f2ce1fe97e502"), 24);
    assert_eq!(per_doc("004_fe52d60c9d134e94"), 7);
    for r in &rows {
        let text = r["text"].as_str().unwrap();
        assert!(
            !text.contains('Â') && !text.contains('\u{a0}') && !text.contains("  "),
            "{text}"
        );
        assert_eq!(
            r.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["doc", "para", "text"]
        );
    }
    assert!(stderr(&a).contains("5 files, 70 paragraphs"));
    // Stable across runs.
    assert_eq!(a.stdout, slant(&["split"]).stdout);
}

#[test]
fn drops_furniture_and_says_why() {
    let o = slant(&["split", "--show-dropped", "seeds/001_e0f29b29399b32f3.txt"]);
    let err = stderr(&o);
    assert!(
        err.contains("Follow Us") && err.contains("heading") && err.contains("after_article"),
        "{err}"
    );
    let out = stdout(&o);
    for furniture in [
        "Support Our Journalism",
        "LEAVE A REPLY",
        "The author is",
        "Also read",
        "Worsening bilateral ties",
    ] {
        assert!(!out.contains(furniture), "{furniture} leaked into {out}");
    }
}

#[test]
fn reads_standard_input() {
    let o = slant_in(
        &root(),
        &["split", "-"],
        Some(b"Talks have stalled again.\r\nA heading\r\nThe border is shut.\r\n"),
    );
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["doc"], "-");
    assert_eq!(rows[1]["text"], "The border is shut.");
}

#[test]
fn missing_path_is_a_clean_error() {
    assert_clean_failure(&slant(&["split", "no/such/file.txt"]), "no/such/file.txt");
}
