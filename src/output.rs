//! What `slant score` writes: the wire types (one `Serialize` struct per kind of record, fields in
//! a fixed order), per-article summaries, and a writer for JSON Lines, CSV and TSV.
//!
//! JSON Lines records nest the class probabilities as an object in the model's class order
//! (`"probs": {"conciliatory": 0.2, ...}`); CSV and TSV flatten them into one column per class
//! (`p_conciliatory`, ...). Every CSV/TSV file has a header row, also when it has no records, and
//! a last column `error` that is empty except on the row of an input that could not be read.
//!
//! With `--explain`, paragraph records carry the terms that pushed hardest toward their label:
//! a JSON list `"terms": [{"term": "...", "weight": ...}, ...]`, or in CSV/TSV a `terms` column
//! (before `error`) of `term:weight` pairs joined by `;`, weights rounded to 4 decimals.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::TermWeight;
use crate::score::{Probabilities, ScoredArticle, ScoredParagraph};

/// Output formats of `slant score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    JsonLines,
    Csv,
    Tsv,
}

/// One record per paragraph or per article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Paragraph,
    Doc,
}

/// How `slant score` writes its records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkOptions {
    pub format: OutputFormat,
    pub per: Per,
    /// Paragraphs whose top probability is under this are `uncertain`.
    pub min_confidence: f64,
    /// Paragraph records carry their top terms (`--explain`): in CSV/TSV, a `terms` column.
    pub terms: bool,
}

/// One scored paragraph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParagraphRecord<'a> {
    pub doc: &'a str,
    pub para: u32,
    pub outlet: &'a str,
    pub label: &'a str,
    pub probs: Probabilities<'a>,
    /// Top probability minus the second.
    pub margin: f64,
    /// The top probability is under the `--min-confidence` threshold.
    pub uncertain: bool,
    /// With `--explain`: the terms that pushed hardest toward `label`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<&'a [TermWeight]>,
}

impl<'a> ParagraphRecord<'a> {
    pub fn new(
        article: &'a ScoredArticle,
        p: &'a ScoredParagraph,
        classes: &'a [String],
        min_confidence: f64,
    ) -> Self {
        ParagraphRecord {
            doc: &article.doc,
            para: p.para,
            outlet: article.outlet(),
            label: &classes[p.label()],
            probs: Probabilities {
                classes,
                values: p.probs.clone(),
            },
            margin: p.margin(),
            uncertain: p.top() < min_confidence,
            terms: p.terms.as_deref(),
        }
    }

    /// The CSV/TSV row; `terms_column` adds the `terms` column.
    fn fields(&self, terms_column: bool) -> Vec<String> {
        let mut f = vec![
            self.doc.to_owned(),
            self.para.to_string(),
            self.outlet.to_owned(),
            self.label.to_owned(),
        ];
        f.extend(self.probs.values.iter().map(f64::to_string));
        f.push(self.margin.to_string());
        f.push(self.uncertain.to_string());
        if terms_column {
            f.push(self.terms.map(terms_cell).unwrap_or_default());
        }
        f.push(String::new());
        f
    }
}

/// The `terms` cell of CSV/TSV: `term:weight` pairs joined by `;`, weights to 4 decimals.
pub fn terms_cell(terms: &[TermWeight]) -> String {
    terms
        .iter()
        .map(|t| format!("{}:{:.4}", t.term, t.weight))
        .collect::<Vec<_>>()
        .join(";")
}

/// Counts and probability sums over one article's paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSummary {
    pub doc: String,
    pub outlet: String,
    pub paragraphs: usize,
    /// Paragraphs labelled with each class (model class order).
    pub counts: Vec<usize>,
    /// Sum of each class's probability over the paragraphs.
    pub prob_sums: Vec<f64>,
    /// Paragraphs whose top probability is under the threshold.
    pub uncertain: usize,
    /// Paragraphs the model was trained on.
    pub in_training: usize,
}

impl ArticleSummary {
    pub fn new(doc: &str, outlet: &str, n_classes: usize) -> Self {
        ArticleSummary {
            doc: doc.to_owned(),
            outlet: outlet.to_owned(),
            paragraphs: 0,
            counts: vec![0; n_classes],
            prob_sums: vec![0.0; n_classes],
            uncertain: 0,
            in_training: 0,
        }
    }

    /// A summary from hard labels alone: `counts[c]` paragraphs labelled with class `c`, each
    /// with probability 1 for its label.
    pub fn from_counts(doc: &str, outlet: &str, counts: &[usize]) -> Self {
        let mut s = ArticleSummary::new(doc, outlet, counts.len());
        s.paragraphs = counts.iter().sum();
        s.counts = counts.to_vec();
        s.prob_sums = counts.iter().map(|&c| c as f64).collect();
        s
    }

    /// Summarises a scored article.
    pub fn of(article: &ScoredArticle, n_classes: usize, min_confidence: f64) -> Self {
        let mut s = ArticleSummary::new(&article.doc, article.outlet(), n_classes);
        s.add(&article.paragraphs, min_confidence);
        s
    }

    /// Adds paragraphs (of the same article).
    pub fn add(&mut self, paragraphs: &[ScoredParagraph], min_confidence: f64) {
        for p in paragraphs {
            self.paragraphs += 1;
            self.counts[p.label()] += 1;
            for (s, v) in self.prob_sums.iter_mut().zip(&p.probs) {
                *s += v;
            }
            self.uncertain += usize::from(p.top() < min_confidence);
            self.in_training += usize::from(p.in_training);
        }
    }

    /// Share of the paragraphs labelled with each class; `None` without paragraphs.
    pub fn shares(&self) -> Option<Vec<f64>> {
        (self.paragraphs > 0).then(|| {
            self.counts
                .iter()
                .map(|&c| c as f64 / self.paragraphs as f64)
                .collect()
        })
    }

    /// Mean probability of each class; `None` without paragraphs.
    pub fn mean_probs(&self) -> Option<Vec<f64>> {
        (self.paragraphs > 0).then(|| {
            self.prob_sums
                .iter()
                .map(|&s| s / self.paragraphs as f64)
                .collect()
        })
    }

    /// The class most paragraphs have; ties go to the larger mean probability, then to the first
    /// class. `None` without paragraphs.
    pub fn majority(&self) -> Option<usize> {
        if self.paragraphs == 0 {
            return None;
        }
        (0..self.counts.len()).reduce(|best, c| {
            let better = self.counts[c] > self.counts[best]
                || (self.counts[c] == self.counts[best]
                    && self.prob_sums[c] > self.prob_sums[best]);
            if better {
                c
            } else {
                best
            }
        })
    }
}

/// One article (`--per doc`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocRecord<'a> {
    pub doc: &'a str,
    pub outlet: &'a str,
    pub paragraphs: usize,
    /// The majority label; null for an article without content paragraphs.
    pub label: Option<&'a str>,
    /// Share of the paragraphs with each label.
    pub shares: Option<Probabilities<'a>>,
    pub mean_probs: Option<Probabilities<'a>>,
    /// Paragraphs whose top probability is under `--min-confidence`.
    pub uncertain: usize,
}

impl<'a> DocRecord<'a> {
    pub fn new(s: &'a ArticleSummary, classes: &'a [String]) -> Self {
        let probs = |values: Vec<f64>| Probabilities { classes, values };
        DocRecord {
            doc: &s.doc,
            outlet: &s.outlet,
            paragraphs: s.paragraphs,
            label: s.majority().map(|c| classes[c].as_str()),
            shares: s.shares().map(probs),
            mean_probs: s.mean_probs().map(probs),
            uncertain: s.uncertain,
        }
    }

    fn fields(&self) -> Vec<String> {
        let k = self.shares.as_ref().map_or(0, |s| s.values.len());
        let mut f = vec![
            self.doc.to_owned(),
            self.outlet.to_owned(),
            self.paragraphs.to_string(),
            self.label.unwrap_or("").to_owned(),
        ];
        for p in [&self.shares, &self.mean_probs] {
            match p {
                Some(p) => f.extend(p.values.iter().map(f64::to_string)),
                None => f.extend(std::iter::repeat_n(String::new(), k)),
            }
        }
        f.push(self.uncertain.to_string());
        f.push(String::new());
        f
    }
}

/// An input that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorRecord<'a> {
    pub doc: &'a str,
    pub error: &'a str,
}

enum Inner<W: Write> {
    Json(W),
    Delimited(Box<csv::Writer<W>>),
}

/// Writes records in one format; CSV and TSV get their header row on creation.
pub struct RecordWriter<W: Write> {
    inner: Inner<W>,
    /// Columns of a CSV/TSV row (the header's length).
    width: usize,
    /// Paragraph rows have a `terms` column.
    terms: bool,
}

/// The CSV/TSV header for the model's classes; `terms` adds the `terms` column of `--explain`
/// (paragraph records only).
pub fn header(per: Per, classes: &[String], terms: bool) -> Vec<String> {
    let mut h: Vec<String> = match per {
        Per::Paragraph => ["doc", "para", "outlet", "label"]
            .map(String::from)
            .to_vec(),
        Per::Doc => ["doc", "outlet", "paragraphs", "label"]
            .map(String::from)
            .to_vec(),
    };
    match per {
        Per::Paragraph => {
            h.extend(classes.iter().map(|c| format!("p_{c}")));
            h.extend(["margin", "uncertain"].map(String::from));
            if terms {
                h.push("terms".into());
            }
        }
        Per::Doc => {
            h.extend(classes.iter().map(|c| format!("share_{c}")));
            h.extend(classes.iter().map(|c| format!("mean_p_{c}")));
            h.push("uncertain".into());
        }
    }
    h.push("error".into());
    h
}

impl<W: Write> RecordWriter<W> {
    pub fn new(out: W, opts: &SinkOptions, classes: &[String]) -> io::Result<Self> {
        let format = opts.format;
        let header = header(opts.per, classes, opts.terms);
        let inner = match format {
            OutputFormat::JsonLines => Inner::Json(out),
            OutputFormat::Csv | OutputFormat::Tsv => {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(if format == OutputFormat::Tsv {
                        b'\t'
                    } else {
                        b','
                    })
                    .from_writer(out);
                w.write_record(&header)?;
                Inner::Delimited(Box::new(w))
            }
        };
        Ok(RecordWriter {
            inner,
            width: header.len(),
            terms: opts.terms && opts.per == Per::Paragraph,
        })
    }

    fn write<T: Serialize>(
        &mut self,
        record: &T,
        fields: impl FnOnce() -> Vec<String>,
    ) -> io::Result<()> {
        match &mut self.inner {
            Inner::Json(w) => {
                serde_json::to_writer(&mut *w, record)?;
                w.write_all(b"\n")
            }
            Inner::Delimited(w) => {
                let f = fields();
                debug_assert_eq!(f.len(), self.width);
                Ok(w.write_record(&f)?)
            }
        }
    }

    pub fn paragraph(&mut self, r: &ParagraphRecord<'_>) -> io::Result<()> {
        let terms = self.terms;
        self.write(r, || r.fields(terms))
    }

    pub fn doc(&mut self, r: &DocRecord<'_>) -> io::Result<()> {
        self.write(r, || r.fields())
    }

    pub fn error(&mut self, r: &ErrorRecord<'_>) -> io::Result<()> {
        let width = self.width;
        self.write(r, || {
            let mut f = vec![String::new(); width];
            f[0] = r.doc.to_owned();
            f[width - 1] = r.error.to_owned();
            f
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Json(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Inner::Delimited(w) => w.into_inner().map_err(|e| e.into_error()),
        }
    }
}

/// Totals of a score run, for the closing summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub inputs: usize,
    pub articles: usize,
    pub paragraphs: usize,
    pub errors: usize,
    pub uncertain: usize,
    /// Articles in which no content paragraph was found.
    pub empty_articles: usize,
}

/// Takes scored inputs in input order and writes their records at once: one per paragraph, or
/// one per article (`--per doc`). Nothing is held back, so output streams; an article's records
/// must come in one [`ScoreSink::push`] (as [`crate::score::Records`] and
/// [`crate::score::collect_inputs`] guarantee by refusing a doc id seen twice).
pub struct ScoreSink<'m, W: Write> {
    writer: RecordWriter<W>,
    classes: &'m [String],
    per: Per,
    min_confidence: f64,
    counts: Counts,
}

impl<'m, W: Write> ScoreSink<'m, W> {
    pub fn new(out: W, opts: &SinkOptions, classes: &'m [String]) -> io::Result<Self> {
        Ok(ScoreSink {
            writer: RecordWriter::new(out, opts, classes)?,
            classes,
            per: opts.per,
            min_confidence: opts.min_confidence,
            counts: Counts::default(),
        })
    }

    /// Takes the result of one input.
    pub fn push(&mut self, scored: &crate::score::Scored) -> io::Result<()> {
        use crate::score::Scored;
        self.counts.inputs += 1;
        match scored {
            Scored::Articles(articles) => {
                for a in articles {
                    self.article(a)?;
                }
                Ok(())
            }
            Scored::Failed { doc, error } => {
                self.counts.errors += 1;
                let error = error.to_string();
                self.writer.error(&ErrorRecord { doc, error: &error })
            }
        }
    }

    fn article(&mut self, a: &ScoredArticle) -> io::Result<()> {
        self.counts.articles += 1;
        self.counts.paragraphs += a.paragraphs.len();
        self.counts.empty_articles += usize::from(a.paragraphs.is_empty());
        self.counts.uncertain += a
            .paragraphs
            .iter()
            .filter(|p| p.top() < self.min_confidence)
            .count();
        match self.per {
            Per::Paragraph => {
                for p in &a.paragraphs {
                    let r = ParagraphRecord::new(a, p, self.classes, self.min_confidence);
                    self.writer.paragraph(&r)?;
                }
                Ok(())
            }
            Per::Doc => {
                let summary = ArticleSummary::of(a, self.classes.len(), self.min_confidence);
                self.writer.doc(&DocRecord::new(&summary, self.classes))
            }
        }
    }

    /// Flushes, and returns the writer and the totals.
    pub fn finish(self) -> io::Result<(W, Counts)> {
        Ok((self.writer.finish()?, self.counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Scored;

    fn classes() -> Vec<String> {
        ["conciliatory", "critical", "hawkish"]
            .map(String::from)
            .to_vec()
    }

    fn article(doc: &str, outlet: Option<&str>, probs: &[[f64; 3]]) -> ScoredArticle {
        ScoredArticle {
            doc: doc.into(),
            outlet: outlet.map(String::from),
            dropped: 0,
            paragraphs: probs
                .iter()
                .enumerate()
                .map(|(i, p)| ScoredParagraph {
                    para: i as u32 + 1,
                    probs: p.to_vec(),
                    in_training: false,
                    terms: None,
                })
                .collect(),
        }
    }

    fn run(format: OutputFormat, per: Per, items: Vec<Scored>) -> (String, Counts) {
        run_with(format, per, false, items)
    }

    fn run_with(
        format: OutputFormat,
        per: Per,
        terms: bool,
        items: Vec<Scored>,
    ) -> (String, Counts) {
        let c = classes();
        let opts = SinkOptions {
            format,
            per,
            min_confidence: 0.5,
            terms,
        };
        let mut sink = ScoreSink::new(Vec::new(), &opts, &c).unwrap();
        for i in &items {
            sink.push(i).unwrap();
        }
        let (bytes, counts) = sink.finish().unwrap();
        (String::from_utf8(bytes).unwrap(), counts)
    }

    fn items() -> Vec<Scored> {
        vec![
            Scored::Articles(vec![article(
                "a",
                Some("Dawn"),
                &[[0.2, 0.2, 0.6], [0.5, 0.1, 0.4]],
            )]),
            Scored::Failed {
                doc: "bad".into(),
                error: crate::Error::param("x", "broken, \"quoted\""),
            },
            Scored::Articles(vec![article("b", None, &[[0.4, 0.35, 0.25]])]),
        ]
    }

    #[test]
    fn jsonl_paragraph_records_have_a_stable_field_order() {
        let (out, counts) = run(OutputFormat::JsonLines, Per::Paragraph, items());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            r#"{"doc":"a","para":1,"outlet":"Dawn","label":"hawkish","probs":{"conciliatory":0.2,"critical":0.2,"hawkish":0.6},"margin":0.39999999999999997,"uncertain":false}"#
        );
        assert!(lines[2].starts_with(r#"{"doc":"bad","error":"#));
        assert!(
            lines[3].contains(r#""outlet":"unknown""#) && lines[3].contains(r#""uncertain":true"#)
        );
        assert_eq!(
            counts,
            Counts {
                inputs: 3,
                articles: 2,
                paragraphs: 3,
                errors: 1,
                uncertain: 1,
                empty_articles: 0
            }
        );
    }

    #[test]
    fn csv_and_tsv_flatten_probabilities_and_quote_when_needed() {
        let (csv, _) = run(OutputFormat::Csv, Per::Paragraph, items());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "doc,para,outlet,label,p_conciliatory,p_critical,p_hawkish,margin,uncertain,error"
        );
        assert_eq!(
            lines[2],
            "a,2,Dawn,conciliatory,0.5,0.1,0.4,0.09999999999999998,false,"
        );
        assert_eq!(
            lines[3],
            r#"bad,,,,,,,,,"invalid parameter `x`: broken, ""quoted""""#
        );
        let (tsv, _) = run(OutputFormat::Tsv, Per::Paragraph, vec![]);
        assert_eq!(
            tsv,
            "doc\tpara\toutlet\tlabel\tp_conciliatory\tp_critical\tp_hawkish\tmargin\tuncertain\terror\n"
        );
    }

    #[test]
    fn explained_terms_are_a_json_list_or_a_column_before_error() {
        let mut a = article("a", None, &[[0.2, 0.2, 0.6]]);
        a.paragraphs[0].terms = Some(vec![
            TermWeight {
                term: "border closure".into(),
                weight: 0.123456,
            },
            TermWeight {
                term: "[ tal]".into(),
                weight: 0.05,
            },
        ]);
        let items = || vec![Scored::Articles(vec![a.clone()])];
        let (json, _) = run_with(OutputFormat::JsonLines, Per::Paragraph, true, items());
        let row: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
        assert_eq!(row["terms"][0]["term"], "border closure");
        assert_eq!(row["terms"][1]["weight"], 0.05);
        let (plain, _) = run(OutputFormat::JsonLines, Per::Paragraph, vec![]);
        assert!(!plain.contains("terms"));
        let (tsv, _) = run_with(OutputFormat::Tsv, Per::Paragraph, true, items());
        let lines: Vec<&str> = tsv.lines().collect();
        assert!(
            lines[0].ends_with("\tmargin\tuncertain\tterms\terror"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].ends_with("\tborder closure:0.1235;[ tal]:0.0500\t"),
            "{}",
            lines[1]
        );
        let (csv, _) = run(OutputFormat::Csv, Per::Paragraph, items());
        assert!(!csv.lines().next().unwrap().contains("terms"));
    }

    #[test]
    fn per_doc_gives_one_record_per_article_in_push_order() {
        let mut v = items();
        v.push(Scored::Articles(vec![article("empty", None, &[])]));
        let (out, counts) = run(OutputFormat::JsonLines, Per::Doc, v);
        let rows: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0]["doc"], "a");
        assert_eq!(rows[0]["paragraphs"], 2);
        assert_eq!(rows[0]["label"], "hawkish");
        assert_eq!(rows[0]["shares"]["hawkish"].as_f64().unwrap(), 0.5);
        let mean = rows[0]["mean_probs"]["hawkish"].as_f64().unwrap();
        assert!((mean - 0.5).abs() < 1e-12);
        assert_eq!(rows[1]["doc"], "bad");
        assert_eq!(rows[2]["label"], "conciliatory");
        assert_eq!(rows[3]["paragraphs"], 0);
        assert!(rows[3]["label"].is_null() && rows[3]["shares"].is_null());
        assert_eq!(counts.empty_articles, 1);
        let (csv, _) = run(OutputFormat::Csv, Per::Doc, vec![]);
        assert_eq!(
            csv.trim_end(),
            "doc,outlet,paragraphs,label,share_conciliatory,share_critical,share_hawkish,mean_p_conciliatory,mean_p_critical,mean_p_hawkish,uncertain,error"
        );
    }

    #[test]
    fn records_are_written_as_each_input_is_pushed() {
        /// A writer whose bytes the test can look at while the sink still owns it.
        #[derive(Clone, Default)]
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let c = classes();
        for per in [Per::Paragraph, Per::Doc] {
            let opts = SinkOptions {
                format: OutputFormat::JsonLines,
                per,
                min_confidence: 0.5,
                terms: false,
            };
            let out = Shared::default();
            let mut sink = ScoreSink::new(out.clone(), &opts, &c).unwrap();
            let mut lines = Vec::new();
            for item in items() {
                sink.push(&item).unwrap();
                lines.push(out.0.borrow().iter().filter(|&&b| b == b'\n').count());
            }
            let expected = match per {
                Per::Paragraph => [2, 3, 4],
                Per::Doc => [1, 2, 3],
            };
            assert_eq!(lines, expected);
            sink.finish().unwrap();
            assert_eq!(
                out.0.borrow().iter().filter(|&&b| b == b'\n').count(),
                expected[2]
            );
        }
    }

    #[test]
    fn majority_ties_go_to_the_larger_mean_probability() {
        let c = classes().len();
        let a = article("t", None, &[[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]]);
        assert_eq!(ArticleSummary::of(&a, c, 0.5).majority(), Some(2));
        let b = article("t", None, &[[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]]);
        assert_eq!(ArticleSummary::of(&b, c, 0.5).majority(), Some(0));
    }
}
