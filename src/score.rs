//! Scoring articles: find the inputs, read each one's paragraphs, and give every paragraph class
//! probabilities.
//!
//! The flow is `inputs → per-input paragraphs → scored paragraphs → records → a writer`:
//! [`collect_inputs`] (or [`read_records`] for JSON Lines) finds the inputs, [`Input::read`] turns
//! one into an [`Article`], [`score_article`] applies the model, and [`crate::output`] shapes and
//! writes the records. [`score_in_order`] runs the reading and scoring of [`Job`]s on rayon's
//! threads, a bounded window at a time, and hands the results back in input order, so output is
//! streamed and the same bytes whatever the number of threads; memory does not grow with the
//! input.

use std::path::{Path, PathBuf};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::eval::argmax;
use crate::model::{StanceModel, TermWeight};
use crate::split::{split_text, Paragraph, Split};
use crate::tfidf::SparseVec;

mod records;
pub use records::Records;

/// File extensions read when walking a directory.
pub const ARTICLE_EXTENSIONS: &[&str] = &["txt", "md", "html", "htm"];

/// The outlet of an article nobody named one for.
pub const UNKNOWN_OUTLET: &str = "unknown";

/// How an article file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain text or Markdown.
    Text,
    /// An HTML page: the article text is extracted first ([`crate::extract`]).
    Html,
}

impl Kind {
    /// From a file's extension (`.html` and `.htm` are HTML, anything else text).
    pub fn of(path: &Path) -> Kind {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm") => {
                Kind::Html
            }
            _ => Kind::Text,
        }
    }
}

/// A paragraph longer than this (1 MiB, some 170,000 words, a hundred times a long op-ed) is
/// refused: such a "paragraph" is a file without paragraph breaks, a dump or a binary, and
/// analysing it would cost time and memory for a meaningless score.
pub const MAX_PARAGRAPH_BYTES: usize = 1 << 20;

/// One article to score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file, with the document id it is reported under and its outlet, when known.
    File {
        path: PathBuf,
        doc: String,
        outlet: Option<String>,
    },
    /// Standard input, reported as doc `-`; HTML when it starts like an HTML document.
    Stdin,
}

/// An article's content paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub doc: String,
    pub outlet: Option<String>,
    pub paragraphs: Vec<Paragraph>,
    /// Lines the splitter dropped as furniture or headings (0 for JSON Lines records).
    pub dropped: usize,
}

impl Input {
    pub fn doc(&self) -> &str {
        match self {
            Input::File { doc, .. } => doc,
            Input::Stdin => "-",
        }
    }

    pub fn outlet(&self) -> Option<&str> {
        match self {
            Input::File { outlet, .. } => outlet.as_deref(),
            Input::Stdin => None,
        }
    }

    /// The path named in messages (`<stdin>` for standard input).
    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } => path,
            Input::Stdin => Path::new(STDIN_NAME),
        }
    }

    /// The article as text: decoded, and for HTML the extracted article blocks.
    pub fn text(&self) -> Result<String> {
        match self {
            Input::File { path, .. } => {
                let text = crate::decode::read_text(path)?;
                Ok(match Kind::of(path) {
                    Kind::Html => crate::extract::html_to_text(&text),
                    Kind::Text => text,
                })
            }
            Input::Stdin => {
                let text = read_stdin()?;
                Ok(if crate::extract::looks_like_html(&text) {
                    crate::extract::html_to_text(&text)
                } else {
                    text
                })
            }
        }
    }

    /// Reads and splits the article (the splitter drops furniture and headings); a paragraph
    /// over [`MAX_PARAGRAPH_BYTES`] is an error.
    pub fn split(&self) -> Result<Split> {
        let split = split_text(self.doc(), &self.text()?);
        if let Some(p) = split
            .paragraphs
            .iter()
            .find(|p| p.text.len() > MAX_PARAGRAPH_BYTES)
        {
            return Err(Error::data(
                self.path(),
                p.line,
                format!(
                    "a paragraph of {} bytes, over the {MAX_PARAGRAPH_BYTES}-byte limit; this is not an article: give it line breaks between paragraphs",
                    p.text.len()
                ),
            ));
        }
        Ok(split)
    }

    /// Reads and splits the article, keeping only its paragraphs.
    pub fn paragraphs(&self) -> Result<Vec<Paragraph>> {
        Ok(self.split()?.paragraphs)
    }

    /// Reads and splits the article into an [`Article`] (see [`Input::split`]).
    pub fn read(&self) -> Result<Article> {
        let split = self.split()?;
        Ok(Article {
            doc: self.doc().to_owned(),
            outlet: self.outlet().map(str::to_owned),
            paragraphs: split.paragraphs,
            dropped: split.dropped.len(),
        })
    }
}

/// How standard input is named in messages.
const STDIN_NAME: &str = "<stdin>";

/// Reads and decodes standard input.
fn read_stdin() -> Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(STDIN_NAME, "cannot read standard input", e))?;
    crate::decode::decode(Path::new(STDIN_NAME), &bytes)
}

/// Expands paths into inputs: a file is taken as is (its doc id is its file stem); a directory is
/// walked recursively in sorted order for [`ARTICLE_EXTENSIONS`] (doc id: the path below the
/// directory, without extension); `-` is standard input. Two inputs with one doc id are refused.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    check_inputs(paths)?;
    InputWalk::new(paths).collect()
}

/// Checks every input of `paths` as [`collect_inputs`] does and returns how many there are,
/// keeping a 128-bit hash of each doc id rather than the inputs: with [`InputWalk`], what
/// `slant score` holds does not grow with the number of files beyond 16 bytes (and the hash
/// table's slack) per file and the listing of the directory being walked.
pub fn check_inputs(paths: &[PathBuf]) -> Result<usize> {
    let mut seen: rustc_hash::FxHashSet<u128> = Default::default();
    let mut count = 0;
    for input in InputWalk::new(paths) {
        let input = input?;
        if !seen.insert(records::doc_key(input.doc())) {
            // The first input with this id, found by walking again (only on this error).
            let first = InputWalk::new(paths)
                .filter_map(Result::ok)
                .find(|i| i.doc() == input.doc())
                .map(|i| i.path().to_path_buf());
            return Err(Error::Unusable {
                path: input.path().to_path_buf(),
                message: format!(
                    "its doc id `{}` is also that of {}, so their paragraph ids would clash; pass each file once, rename one, or pass a directory that holds both (ids then include the sub-directory)",
                    input.doc(),
                    first.as_deref().unwrap_or(Path::new("another input")).display()
                ),
            });
        }
        count += 1;
    }
    Ok(count)
}

/// The inputs of `paths` one at a time, in [`collect_inputs`]' order, holding only the sorted
/// listings of the directories being walked. Doc ids are not checked here ([`check_inputs`]).
pub struct InputWalk {
    paths: Vec<PathBuf>,
    /// Index of the next path to expand.
    next: usize,
    /// The directory argument being walked, and whether it gave a file yet.
    root: Option<(PathBuf, bool)>,
    walk: DirWalk,
}

impl InputWalk {
    pub fn new(paths: &[PathBuf]) -> Self {
        InputWalk {
            paths: paths.to_vec(),
            next: 0,
            root: None,
            walk: DirWalk::default(),
        }
    }
}

/// The article files below a directory, recursively, in sorted order, holding only the sorted
/// listings of the directories on the current path.
#[derive(Default)]
struct DirWalk {
    /// Each directory from the root down, with its entries' names, sorted, and the next to
    /// visit (names, not paths: a directory of many files is held once, its path not repeated).
    stack: Vec<(PathBuf, Vec<std::ffi::OsString>, usize)>,
}

impl DirWalk {
    fn start(dir: &Path) -> Result<DirWalk> {
        Ok(DirWalk {
            stack: vec![(dir.to_path_buf(), sorted_names(dir)?, 0)],
        })
    }

    /// `dir` (a symbolic link) resolves to a directory on the current walk's path.
    fn loops_back(&self, dir: &Path) -> bool {
        let is_link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return false;
        }
        let Ok(target) = std::fs::canonicalize(dir) else {
            return false;
        };
        self.stack
            .iter()
            .any(|(d, _, _)| std::fs::canonicalize(d).is_ok_and(|d| d == target))
    }
}

impl Iterator for DirWalk {
    type Item = Result<PathBuf>;

    /// The next file, or `None` when the walk is done; after an error, nothing more.
    fn next(&mut self) -> Option<Result<PathBuf>> {
        while let Some((dir, names, next)) = self.stack.last_mut() {
            let Some(p) = names.get(*next).map(|n| dir.join(n)) else {
                self.stack.pop();
                continue;
            };
            *next += 1;
            if p.is_dir() {
                if self.loops_back(&p) {
                    // A link to a directory being walked: its files are reached anyway, and
                    // following it would never end.
                    continue;
                }
                match sorted_names(&p) {
                    Ok(names) => self.stack.push((p, names, 0)),
                    Err(e) => {
                        self.stack.clear();
                        return Some(Err(e));
                    }
                }
            } else if is_article_file(&p) {
                return Some(Ok(p));
            }
        }
        None
    }
}

impl Iterator for InputWalk {
    type Item = Result<Input>;

    fn next(&mut self) -> Option<Result<Input>> {
        loop {
            if let Some((root, found)) = self.root.take() {
                match self.walk.next() {
                    Some(Ok(file)) => {
                        let doc = doc_id(&file, &root);
                        self.root = Some((root, true));
                        return Some(Ok(Input::File {
                            path: file,
                            doc,
                            outlet: None,
                        }));
                    }
                    Some(Err(e)) => return Some(Err(e)),
                    None => {
                        if !found {
                            return Some(Err(Error::Unusable {
                                path: root,
                                message: format!(
                                    "no .{} files in this directory; point slant at articles",
                                    ARTICLE_EXTENSIONS.join(", .")
                                ),
                            }));
                        }
                    }
                }
            }
            let path = self.paths.get(self.next)?.clone();
            self.next += 1;
            if path.as_os_str() == "-" {
                return Some(Ok(Input::Stdin));
            } else if path.is_dir() {
                match DirWalk::start(&path) {
                    Ok(walk) => self.walk = walk,
                    Err(e) => return Some(Err(e)),
                }
                self.root = Some((path, false));
            } else {
                if let Err(e) = std::fs::metadata(&path) {
                    return Some(Err(Error::io(&path, "cannot read input", e)));
                }
                let doc = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                return Some(Ok(Input::File {
                    path,
                    doc,
                    outlet: None,
                }));
            }
        }
    }
}

/// The doc id of `file` found below `dir`: the relative path without extension, `/`-separated.
pub fn doc_id(file: &Path, dir: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// True when `path` has one of [`ARTICLE_EXTENSIONS`].
pub fn is_article_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ARTICLE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Every article file below `dir`, recursively, in sorted order (a symbolic link back to a
/// directory on the way down is not followed).
pub fn article_files(dir: &Path) -> Result<Vec<PathBuf>> {
    DirWalk::start(dir)?.collect()
}

/// The names of a directory's entries, sorted as paths sort.
fn sorted_names(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "cannot list directory", e))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, "cannot list directory", e))?;
    names.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
    names.shrink_to_fit();
    Ok(names)
}

/// The entries of a directory, sorted.
pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(sorted_names(dir)?.iter().map(|n| dir.join(n)).collect())
}

/// Reads paragraph records from JSON Lines files (`-` for standard input), one line at a time,
/// and yields them as articles; see [`parse_records`] for the format and [`Records`] for how
/// records become articles. A doc's records may run on from one file into the next. Directories
/// and missing files are refused at once; a malformed record is an error when it is reached.
pub fn read_records(paths: &[PathBuf]) -> Result<Records<'static>> {
    Records::open(paths)
}

/// Parses JSON Lines paragraph records into articles. One object per line with a string `id`,
/// a non-empty string `text` and an optional string `outlet`; other fields are ignored, blank
/// lines skipped. Each record is one paragraph, taken as it is (no furniture filtering,
/// whitespace normalised).
///
/// An id of the form `<doc>:<n>` (n a positive integer, as `slant split` numbers paragraphs) is
/// paragraph n of article `doc`: consecutive records of one `doc` form one article, its
/// paragraphs in input order, so that they are scored together and context features see their
/// neighbours. They must share one outlet, and a doc cannot come back after another doc's
/// records. Any other id is an article of one paragraph (paragraph 1), scored alone. Ids are
/// unique. `path` is only used in errors; any malformed record is an error naming its line.
pub fn parse_records(path: &Path, text: &str) -> Result<Vec<Article>> {
    let lines = crate::decode::TextLines::new(path, text.as_bytes())?;
    Records::from_lines(path, lines).collect()
}

/// `doc:n` → (doc, n) for a positive integer n; any other id → `None`.
fn split_id(id: &str) -> Option<(&str, u32)> {
    let (doc, n) = id.rsplit_once(':')?;
    let v = n.parse::<u32>().ok()?;
    // Only the canonical spelling: `a:01` or `a:+1` stay whole ids.
    (!doc.is_empty() && v > 0 && v.to_string() == n).then_some((doc, v))
}

/// Class probabilities that serialise as a JSON object in the model's class order.
#[derive(Debug, Clone, PartialEq)]
pub struct Probabilities<'a> {
    pub classes: &'a [String],
    pub values: Vec<f64>,
}

impl Serialize for Probabilities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.classes.len()))?;
        for (c, v) in self.classes.iter().zip(&self.values) {
            map.serialize_entry(c, v)?;
        }
        map.end()
    }
}

/// Top probability minus the second largest (0 with fewer than two classes).
pub fn margin(probs: &[f64]) -> f64 {
    let (mut first, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &p in probs {
        if p > first {
            second = first;
            first = p;
        } else if p > second {
            second = p;
        }
    }
    if second.is_finite() {
        first - second
    } else {
        0.0
    }
}

/// One paragraph with its class probabilities (in the model's class order).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredParagraph {
    pub para: u32,
    pub probs: Vec<f64>,
    /// The model was trained on this very text ([`StanceModel::was_trained_on`]).
    pub in_training: bool,
    /// With `--explain`: the terms that pushed hardest toward the label.
    pub terms: Option<Vec<TermWeight>>,
}

impl ScoredParagraph {
    /// Index of the predicted class.
    pub fn label(&self) -> usize {
        argmax(&self.probs)
    }

    /// The predicted class's probability.
    pub fn top(&self) -> f64 {
        self.probs[self.label()]
    }

    pub fn margin(&self) -> f64 {
        margin(&self.probs)
    }
}

/// An article with every paragraph scored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredArticle {
    pub doc: String,
    pub outlet: Option<String>,
    pub paragraphs: Vec<ScoredParagraph>,
    /// Lines the splitter dropped as furniture or headings ([`Article::dropped`]).
    pub dropped: usize,
}

impl ScoredArticle {
    /// The outlet, or [`UNKNOWN_OUTLET`].
    pub fn outlet(&self) -> &str {
        self.outlet.as_deref().unwrap_or(UNKNOWN_OUTLET)
    }
}

/// Paragraphs per piece when a long article is scored in parallel.
const PIECE: usize = 64;

/// Scores the paragraphs of one article together, so that context features
/// ([`crate::tfidf::ContextConfig`]) see each paragraph's neighbours in the article. `explain`
/// asks for that many top terms per paragraph ([`StanceModel::explain_row`]).
///
/// An article of more than two pieces of [`PIECE`] paragraphs is scored piece by piece in
/// parallel, each piece featurized with the neighbours its context window reaches, which gives
/// the very rows of featurizing the article whole. With whole-article context
/// (`article_weight > 0`) every row depends on every paragraph, so the article is featurized
/// whole.
pub fn score_article(
    model: &StanceModel,
    article: &Article,
    explain: Option<usize>,
) -> ScoredArticle {
    use rayon::prelude::*;
    let paragraphs = &article.paragraphs;
    let n = paragraphs.len();
    let scored = match context_reach(model) {
        Some(reach) if n > 2 * PIECE => {
            let pieces: Vec<Vec<ScoredParagraph>> = (0..n.div_ceil(PIECE))
                .into_par_iter()
                .map(|i| {
                    let range = i * PIECE..((i + 1) * PIECE).min(n);
                    score_range(model, paragraphs, range, reach, explain)
                })
                .collect();
            pieces.concat()
        }
        _ => score_range(model, paragraphs, 0..n, 0, explain),
    };
    ScoredArticle {
        doc: article.doc.clone(),
        outlet: article.outlet.clone(),
        dropped: article.dropped,
        paragraphs: scored,
    }
}

/// How many paragraphs on each side a paragraph's features depend on (0 without context), or
/// `None` when they depend on the whole article.
fn context_reach(model: &StanceModel) -> Option<usize> {
    let ctx = &model.featurizer().config().context;
    if ctx.article_weight > 0.0 {
        None
    } else if ctx.window > 0 && ctx.neighbour_weight > 0.0 {
        Some(ctx.window)
    } else {
        Some(0)
    }
}

/// Scores the paragraphs in `range` of an article, featurized with up to `reach` paragraphs on
/// each side of the range as context.
fn score_range(
    model: &StanceModel,
    paragraphs: &[Paragraph],
    range: std::ops::Range<usize>,
    reach: usize,
    explain: Option<usize>,
) -> Vec<ScoredParagraph> {
    let lo = range.start.saturating_sub(reach);
    let hi = (range.end + reach).min(paragraphs.len());
    let texts: Vec<&str> = paragraphs[lo..hi].iter().map(|p| p.text.as_str()).collect();
    let skip = range.start - lo;
    // Explanations come from each paragraph's own words, so only those rows are kept.
    let mut own = vec![SparseVec::default(); if explain.is_some() { range.len() } else { 0 }];
    let probs =
        model
            .pipeline
            .probabilities_articles_with(&texts, &vec![0; texts.len()], |i, row| {
                if let Some(slot) = i.checked_sub(skip).and_then(|j| own.get_mut(j)) {
                    slot.clone_from(row);
                }
            });
    probs
        .into_iter()
        .skip(skip)
        .zip(&paragraphs[range])
        .enumerate()
        .map(|(j, (probs, p))| {
            let terms = explain.map(|n| model.explain_row(&own[j], argmax(&probs), n));
            ScoredParagraph {
                para: p.para,
                probs,
                in_training: model.was_trained_on(&p.text),
                terms,
            }
        })
        .collect()
}

/// What scoring one input produced: its articles, or the error that stopped it being read.
#[derive(Debug)]
pub enum Scored {
    Articles(Vec<ScoredArticle>),
    Failed { doc: String, error: Error },
}

/// Reads and scores one input.
pub fn score_input(model: &StanceModel, input: &Input, explain: Option<usize>) -> Scored {
    match input.read() {
        Ok(article) => Scored::Articles(vec![score_article(model, &article, explain)]),
        Err(error) => Scored::Failed {
            doc: input.doc().to_owned(),
            error,
        },
    }
}

/// One unit of scoring work: an input still to be read, or an article of paragraph records
/// already read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Read(Input),
    Ready(Article),
}

impl Job {
    /// Reads (if needed) and scores the job's article.
    pub fn score(&self, model: &StanceModel, explain: Option<usize>) -> Scored {
        match self {
            Job::Read(input) => score_input(model, input, explain),
            Job::Ready(article) => Scored::Articles(vec![score_article(model, article, explain)]),
        }
    }

    /// Bytes of text the job holds, or for a file its size on disk (0 for standard input): what
    /// [`Window`] counts.
    pub fn size(&self) -> u64 {
        match self {
            Job::Read(Input::File { path, .. }) => std::fs::metadata(path).map_or(0, |m| m.len()),
            Job::Read(Input::Stdin) => 0,
            Job::Ready(a) => a.paragraphs.iter().map(|p| p.text.len() as u64).sum(),
        }
    }
}

mod ordered;
pub use ordered::{score_in_order, Window};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_top_minus_second() {
        assert!((margin(&[0.2, 0.5, 0.3]) - 0.2).abs() < 1e-12);
        assert_eq!(margin(&[0.5, 0.5]), 0.0);
        assert_eq!(margin(&[1.0]), 0.0);
    }

    #[test]
    fn ids_name_doc_and_paragraph() {
        assert_eq!(split_id("dawn-2024-01:3"), Some(("dawn-2024-01", 3)));
        assert_eq!(split_id("http://x:12"), Some(("http://x", 12)));
        for whole in ["plain", "a:0", "a:01", "a:b", ":4"] {
            assert_eq!(split_id(whole), None, "{whole}");
        }
    }

    #[test]
    fn records_are_validated_line_by_line() {
        let p = Path::new("r.jsonl");
        let ok = parse_records(
            p,
            "{\"id\":\"a:1\",\"text\":\" One  text. \",\"outlet\":\"Dawn\"}\n\n{\"id\":\"b\",\"text\":\"Two.\",\"extra\":1}\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].paragraphs[0].text, "One text.");
        assert_eq!(ok[0].outlet.as_deref(), Some("Dawn"));
        assert_eq!((ok[1].doc.as_str(), ok[1].paragraphs[0].para), ("b", 1));
        for (body, line, needle) in [
            (
                "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\"}\n",
                2,
                "has no `text`",
            ),
            ("{\"id\":\"a\",\"text\":\"   \"}\n", 1, "has no `text`"),
            ("{\"text\":\"x\"}\n", 1, "no `id`"),
            ("[1,2]\n", 1, "not a JSON object"),
            (
                "{\"id\":\"a\",\"text\":\"x\"}\nnope\n",
                2,
                "not a JSON object",
            ),
            ("{\"id\":\"a\",\"text\":5}\n", 1, "not a string"),
            (
                "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}\n",
                2,
                "duplicate id",
            ),
        ] {
            let err = parse_records(p, body).unwrap_err();
            assert!(
                matches!(err, Error::BadRecord { line: l, .. } if l == line),
                "{body}: {err}"
            );
            assert!(err.to_string().contains(needle), "{err}");
        }
        assert!(parse_records(p, "\n\n").is_err());
        let huge = format!(
            "{{\"id\":\"a\",\"text\":\"{}\"}}\n",
            "word ".repeat(MAX_PARAGRAPH_BYTES / 4)
        );
        let err = parse_records(p, &huge).unwrap_err().to_string();
        assert!(
            err.contains("r.jsonl line 1: record `a` has a text of"),
            "{err}"
        );
    }

    fn rec(id: &str, outlet: &str) -> String {
        format!("{{\"id\":\"{id}\",\"text\":\"t {id}\",\"outlet\":\"{outlet}\"}}\n")
    }

    #[test]
    fn consecutive_records_of_one_doc_form_one_article_in_input_order() {
        let body = [
            rec("a:2", "X"),
            rec("a:1", "X"),
            rec("b", "X"),
            rec("c:1", "Y"),
            "\n".into(),
            rec("c:3", "Y"),
            rec("a:1:1", "Y"),
        ]
        .concat();
        let articles = parse_records(Path::new("r.jsonl"), &body).unwrap();
        type Shape<'a> = (&'a str, Option<&'a str>, Vec<(u32, u64)>);
        let shape: Vec<Shape> = articles
            .iter()
            .map(|a| {
                let paras = a.paragraphs.iter().map(|p| (p.para, p.line)).collect();
                (a.doc.as_str(), a.outlet.as_deref(), paras)
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("a", Some("X"), vec![(2, 1), (1, 2)]),
                ("b", Some("X"), vec![(1, 3)]),
                ("c", Some("Y"), vec![(1, 4), (3, 6)]),
                ("a:1", Some("Y"), vec![(1, 7)]),
            ]
        );
    }

    #[test]
    fn a_doc_split_up_or_sharing_an_id_is_an_error_naming_both_lines() {
        for (lines, line, needle) in [
            (
                vec![rec("a:1", "X"), rec("b", "X"), rec("a:2", "X")],
                3,
                "doc `a` comes back after other docs (its records began at line 1); put the records of each doc on consecutive lines",
            ),
            (
                vec![rec("a:1", "X"), rec("a:2", "X"), rec("a:1", "X")],
                3,
                "duplicate id `a:1` (first at line 1)",
            ),
            (
                vec![rec("s", "X"), rec("t", "X"), rec("s", "X")],
                3,
                "duplicate id `s` (first at line 1)",
            ),
            (
                vec![rec("a", "X"), rec("a:1", "X")],
                2,
                "record `a:1` names doc `a`, as the record at line 1 does",
            ),
            (
                vec![rec("a:1", "X"), rec("a:2", "Y")],
                2,
                "record `a:2` has outlet `Y`, but the record of doc `a` at line 1 has outlet `X`",
            ),
            (
                vec![rec("a:1", "X"), "{\"id\":\"a:2\",\"text\":\"t\"}\n".into()],
                2,
                "has no outlet, but",
            ),
        ] {
            let err = parse_records(Path::new("r.jsonl"), &lines.concat()).unwrap_err();
            assert!(
                matches!(err, Error::BadRecord { line: l, .. } if l == line),
                "{err}"
            );
            let err = err.to_string();
            assert!(err.starts_with(&format!("r.jsonl line {line}: ")), "{err}");
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn records_are_read_lazily_and_a_bad_line_stops_the_reading() {
        let body = [
            rec("a:1", "X"),
            rec("a:2", "X"),
            rec("b", "X"),
            "oops\n".into(),
        ]
        .concat();
        let lines = crate::decode::TextLines::new(Path::new("r.jsonl"), body.as_bytes()).unwrap();
        let mut records = Records::from_lines(Path::new("r.jsonl"), lines);
        let a = records.next().unwrap().unwrap();
        assert_eq!((a.doc.as_str(), a.paragraphs.len()), ("a", 2));
        // Article `a` ended when `b` was read; nothing past `b` was read yet.
        assert_eq!(records.consumed(), (body.len() - "oops\n".len()) as u64);
        let err = records.next().unwrap().unwrap_err().to_string();
        assert!(err.contains("r.jsonl line 4: not a JSON object"), "{err}");
        assert!(records.next().is_none());
    }

    #[test]
    fn duplicate_ids_across_files_name_the_first_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        std::fs::write(&a, "{\"id\":\"d:1\",\"text\":\"one\"}\n").unwrap();
        std::fs::write(&b, "{\"id\":\"d:2\",\"text\":\"two\"}\n").unwrap();
        let articles: Vec<Article> = read_records(&[a.clone(), b.clone()])
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(articles.len(), 1, "one doc across two files is one article");
        assert_eq!(articles[0].paragraphs.len(), 2);
        std::fs::write(&b, "{\"id\":\"d:1\",\"text\":\"two\"}\n").unwrap();
        let err = read_records(&[a.clone(), b])
            .unwrap()
            .collect::<Result<Vec<_>>>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("b.jsonl line 1: duplicate id `d:1` (first at "),
            "{err}"
        );
        assert!(err.contains("a.jsonl line 1)"), "{err}");
        let err = read_records(&[a, dir.path().to_path_buf()])
            .err()
            .expect("a directory is refused before reading")
            .to_string();
        assert!(err.contains("not directories"), "{err}");
    }

    #[test]
    fn a_long_article_scored_in_pieces_gets_the_scores_of_scoring_it_whole() {
        let model = StanceModel::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/stance.json"
        )))
        .unwrap();
        assert!(
            context_reach(&model).is_some_and(|r| r >= 1),
            "the shipped model has neighbour context"
        );
        let texts = crate::dataset::read_dataset(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/labels/seeds.tsv")),
            &Default::default(),
            None,
        )
        .unwrap()
        .examples
        .into_iter()
        .map(|e| e.text)
        .collect::<Vec<_>>();
        let n = 5 * PIECE + 3;
        let article = Article {
            doc: "long".into(),
            outlet: None,
            paragraphs: (0..n)
                .map(|i| Paragraph {
                    doc: "long".into(),
                    para: i as u32 + 1,
                    text: texts[(i * 13) % texts.len()].clone(),
                    line: 0,
                })
                .collect(),
            dropped: 0,
        };
        let pieces = score_article(&model, &article, Some(3));
        let whole = score_range(&model, &article.paragraphs, 0..n, 0, Some(3));
        assert_eq!(pieces.paragraphs, whole, "bit for bit");
        // Regression: `--explain` lists terms of the paragraph's own text (as the README says),
        // not of its neighbours, which it did when it read the row with context.
        for (scored, p) in whole.iter().zip(&article.paragraphs) {
            let own = model.featurizer().transform(&p.text);
            let want = model.explain_row(&own, scored.label(), 3);
            assert_eq!(scored.terms.as_ref(), Some(&want), "paragraph {}", p.para);
        }
    }

    #[test]
    fn html_files_are_extracted_before_splitting() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("a.html");
        std::fs::write(
            &page,
            "<html><body><nav>Home</nav><h2>Title here</h2><p>Kabul and Islamabad should talk.</p><footer><p>Copyright.</p></footer></body></html>",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.txt"), "Plain text paragraph.\n").unwrap();
        std::fs::write(dir.path().join("c.pdf"), "not an article").unwrap();
        let inputs = collect_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            inputs.iter().map(Input::doc).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let a = inputs[0].read().unwrap();
        assert_eq!(a.paragraphs.len(), 1);
        assert_eq!(a.paragraphs[0].text, "Kabul and Islamabad should talk.");
    }
    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_walked_once() {
        // Regression: a link back to an enclosing directory was followed until the path was too
        // long, and the walk failed.
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir_all(a.join("sub")).unwrap();
        std::fs::write(a.join("x.txt"), "Text.").unwrap();
        std::fs::write(a.join("sub/y.txt"), "Text.").unwrap();
        std::os::unix::fs::symlink(&a, a.join("sub/back")).unwrap();
        // A link to a directory off the walk's path is followed like any directory.
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("z.txt"), "Text.").unwrap();
        std::os::unix::fs::symlink(&other, a.join("side")).unwrap();
        let docs: Vec<String> = InputWalk::new(std::slice::from_ref(&a))
            .map(|i| i.unwrap().doc().to_owned())
            .collect();
        assert_eq!(docs, ["side/z", "sub/y", "x"]);
        assert_eq!(check_inputs(std::slice::from_ref(&a)).unwrap(), 3);
        // The manifest's walk is the same one.
        assert_eq!(article_files(&a).unwrap().len(), 3);
    }

    /// The check walks the inputs without keeping them: it counts them, and a doc id seen twice
    /// (two extensions in one directory, or one name in two arguments) names both files.
    #[test]
    fn inputs_are_checked_and_walked_without_a_list() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "a/x.txt",
            "a/y.md",
            "a/sub/z.html",
            "b/x.txt",
            "b/notes.csv",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "Text.").unwrap();
        }
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        assert_eq!(check_inputs(std::slice::from_ref(&a)).unwrap(), 3);
        let docs: Vec<String> = InputWalk::new(&[a.clone(), b.join("x.txt")][..])
            .map(|i| i.unwrap().doc().to_owned())
            .collect();
        assert_eq!(docs, ["sub/z", "x", "y", "x"]);
        let err = check_inputs(&[a.clone(), b.clone()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "{}: its doc id `x` is also that of {}",
                b.join("x.txt").display(),
                a.join("x.txt").display()
            )),
            "{err}"
        );
        std::fs::write(a.join("y.txt"), "Text.").unwrap();
        let err = check_inputs(std::slice::from_ref(&a))
            .unwrap_err()
            .to_string();
        assert!(err.contains("doc id `y` is also that of"), "{err}");
        let err = check_inputs(&[b.join("notes.csv").parent().unwrap().join("none")]);
        assert!(err.is_err());
    }
}
