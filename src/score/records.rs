//! JSON Lines paragraph records, read one line at a time and gathered into articles.
//!
//! The grouping rule: consecutive records whose ids are `<doc>:<n>` with the same `doc` form one
//! article, in input order (a doc may run on from one file into the next). A doc whose records
//! stop and start again after another doc's is an error naming both lines, as is a doc whose
//! records name different outlets: scoring the pieces apart would silently give them other
//! context features. What is kept to check this is one small entry per doc (a 128-bit hash of its
//! id and where it began) and the paragraph numbers of the doc being read, never the records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Article, MAX_PARAGRAPH_BYTES, STDIN_NAME};
use crate::decode::TextLines;
use crate::error::{Error, Result};
use crate::split::Paragraph;

const SHAPE: &str =
    r#"write one object per line, like {"id": "a:1", "text": "...", "outlet": "..."}"#;

/// Where a record was read: an index into [`Records`]' files and a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    file: u32,
    line: u64,
}

/// What is remembered of a doc once its first record is read: where that was, and whether its id
/// was a plain id (an article of one paragraph) rather than `doc:n`. Packed in 8 bytes, as there
/// is one per doc of the input: the line in the high 40 bits, the file in the next 23, then the
/// flag (inputs beyond 2^40 lines or 2^23 files get saturated numbers in messages).
#[derive(Debug, Clone, Copy)]
struct Seen(u64);

impl Seen {
    fn new(at: Loc, plain: bool) -> Self {
        let line = at.line.min((1 << 40) - 1);
        let file = u64::from(at.file).min((1 << 23) - 1);
        Seen(line << 24 | file << 1 | u64::from(plain))
    }

    fn loc(self) -> Loc {
        Loc {
            file: ((self.0 >> 1) & ((1 << 23) - 1)) as u32,
            line: self.0 >> 24,
        }
    }

    fn plain(self) -> bool {
        self.0 & 1 == 1
    }
}

/// A doc id's key in the table of docs seen: the first 16 bytes of its SHA-256, so that the
/// table holds no strings (two ids sharing a key is a 1-in-2^128 chance per pair).
pub(super) fn doc_key(doc: &str) -> u128 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(doc.as_bytes());
    u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"))
}

/// The fields of a record that slant reads; others are ignored.
#[derive(Deserialize)]
struct Fast {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    outlet: Option<String>,
}

/// One validated record.
struct Record {
    id: String,
    text: String,
    outlet: Option<String>,
    at: Loc,
}

/// The article being gathered.
struct Building {
    article: Article,
    /// The id was plain: the article is this one record.
    plain: bool,
    /// Line of the first record, for messages about the doc.
    first: Loc,
    /// Where each paragraph number of this doc was read (duplicates are errors).
    paras: HashMap<u32, Loc>,
}

/// Reads JSON Lines paragraph records from files (or standard input) in order and yields one
/// [`Article`] at a time; see the module documentation for how records become articles, and
/// [`super::parse_records`] for the record format. Any malformed record is an error naming its
/// file and line, and ends the reading.
pub struct Records<'r> {
    /// Files in the order read; `-` reads standard input.
    paths: Vec<PathBuf>,
    /// Index of the file being read, or of the next one when `lines` is `None`.
    file: usize,
    lines: Option<TextLines<'r>>,
    /// Records read from the current file.
    file_records: usize,
    /// Bytes of the files finished so far.
    done_bytes: u64,
    /// Every doc whose first record was read, with where (see [`Seen`]).
    /// The key is split in two halves so that an entry takes 24 bytes, not the 32 that a
    /// `u128`'s alignment gives it.
    docs: rustc_hash::FxHashMap<[u64; 2], Seen>,
    current: Option<Building>,
    /// A reader for the whole input, for [`super::parse_records`] on text in memory.
    given: Option<TextLines<'r>>,
    finished: bool,
}

impl Records<'static> {
    /// Records of these files, `-` for standard input. Directories and files that cannot be
    /// found are refused at once, before any record is read.
    pub fn open(paths: &[PathBuf]) -> Result<Self> {
        for path in paths.iter().filter(|p| p.as_os_str() != "-") {
            let meta =
                std::fs::metadata(path).map_err(|e| Error::io(path, "cannot read file", e))?;
            if meta.is_dir() {
                return Err(Error::Unusable {
                    path: path.to_path_buf(),
                    message: "--input jsonl reads files or -, not directories".into(),
                });
            }
        }
        Ok(Records::new(paths.to_vec(), None))
    }
}

impl<'r> Records<'r> {
    /// Records of text already read; `path` names it in errors.
    pub fn from_lines(path: &Path, lines: TextLines<'r>) -> Self {
        Records::new(vec![path.to_path_buf()], Some(lines))
    }

    fn new(paths: Vec<PathBuf>, given: Option<TextLines<'r>>) -> Self {
        Records {
            paths,
            file: 0,
            lines: None,
            file_records: 0,
            done_bytes: 0,
            docs: Default::default(),
            current: None,
            given,
            finished: false,
        }
    }

    /// Bytes read so far, over all the files (for progress).
    pub fn consumed(&self) -> u64 {
        self.done_bytes + self.lines.as_ref().map_or(0, TextLines::consumed)
    }

    /// The path shown in messages for file `i`.
    fn shown(&self, i: u32) -> &Path {
        let p = &self.paths[i as usize];
        if p.as_os_str() == "-" && self.given.is_none() {
            Path::new(STDIN_NAME)
        } else {
            p
        }
    }

    /// `line N`, or `<file> line N` when the place is in another file than `here`.
    fn place(&self, at: Loc, here: Loc) -> String {
        if at.file == here.file {
            format!("line {}", at.line)
        } else {
            format!("{} line {}", self.shown(at.file).display(), at.line)
        }
    }

    fn bad(&self, at: Loc, problem: String, hint: &'static str) -> Error {
        Error::BadRecord {
            path: self.shown(at.file).to_path_buf(),
            line: at.line,
            problem,
            hint,
        }
    }

    /// Opens the next file; false when there is none left.
    fn open_next(&mut self) -> Result<bool> {
        if self.file >= self.paths.len() {
            return Ok(false);
        }
        let path = &self.paths[self.file];
        self.lines = Some(if let Some(given) = self.given.take() {
            given
        } else if path.as_os_str() == "-" {
            let stdin = std::io::BufReader::with_capacity(1 << 16, std::io::stdin());
            TextLines::new(Path::new(STDIN_NAME), stdin)?
        } else {
            TextLines::open(path)?
        });
        self.file_records = 0;
        Ok(true)
    }

    /// The next record of any file, or `None` after the last one.
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if self.lines.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let file = self.file as u32;
            let lines = self.lines.as_mut().expect("a file is open");
            match lines.next_line()? {
                Some((_, text)) if text.trim().is_empty() => {}
                Some((line, text)) => {
                    let at = Loc { file, line };
                    let record = parse_record(text)
                        .map_err(|(problem, hint)| self.bad(at, problem, hint))?;
                    self.file_records += 1;
                    return Ok(Some(Record {
                        id: record.0,
                        text: record.1,
                        outlet: record.2,
                        at,
                    }));
                }
                None => {
                    if self.file_records == 0 {
                        return Err(Error::Unusable {
                            path: self.shown(file).to_path_buf(),
                            message: format!("no records; {SHAPE}"),
                        });
                    }
                    self.done_bytes += lines.consumed();
                    self.lines = None;
                    self.file += 1;
                }
            }
        }
    }

    /// Adds a record to the article being gathered, or starts a new one; returns the article
    /// this record closed, if any.
    fn take(&mut self, r: Record) -> Result<Option<Article>> {
        let (doc, para) = match super::split_id(&r.id) {
            Some((doc, para)) => (doc, Some(para)),
            None => (r.id.as_str(), None),
        };
        if let (Some(b), Some(para)) = (&self.current, para) {
            if !b.plain && b.article.doc == doc {
                return self.extend(r, para).map(|()| None);
            }
        }
        let key = doc_key(doc);
        let key = [key as u64, (key >> 64) as u64];
        if let Some(&seen) = self.docs.get(&key) {
            let first = self.place(seen.loc(), r.at);
            let (problem, hint) = match (seen.plain(), para.is_none()) {
                (true, true) => (
                    format!("duplicate id `{}` (first at {first})", r.id),
                    "ids must be unique",
                ),
                (false, false) => (
                    format!(
                        "doc `{doc}` comes back after other docs (its records began at {first})"
                    ),
                    "put the records of each doc on consecutive lines, in reading order",
                ),
                _ => (
                    format!(
                        "record `{}` names doc `{doc}`, as the record at {first} does",
                        r.id
                    ),
                    "an id `doc` and ids `doc:n` cannot share a doc; rename one",
                ),
            };
            return Err(self.bad(r.at, problem, hint));
        }
        self.docs.insert(key, Seen::new(r.at, para.is_none()));
        let building = Building {
            article: Article {
                doc: doc.to_owned(),
                outlet: r.outlet,
                paragraphs: vec![Paragraph {
                    doc: doc.to_owned(),
                    para: para.unwrap_or(1),
                    text: r.text,
                    line: r.at.line,
                }],
                dropped: 0,
            },
            plain: para.is_none(),
            first: r.at,
            paras: para.map(|p| (p, r.at)).into_iter().collect(),
        };
        Ok(self.current.replace(building).map(|b| b.article))
    }

    /// Adds paragraph `para` of the current doc.
    fn extend(&mut self, r: Record, para: u32) -> Result<()> {
        let b = self.current.as_ref().expect("a doc is being read");
        if let Some(&first) = b.paras.get(&para) {
            let problem = format!(
                "duplicate id `{}` (first at {})",
                r.id,
                self.place(first, r.at)
            );
            return Err(self.bad(r.at, problem, "ids must be unique"));
        }
        if b.article.outlet != r.outlet {
            let name = |o: &Option<String>| {
                o.as_ref()
                    .map_or("no outlet".into(), |o| format!("outlet `{o}`"))
            };
            let problem = format!(
                "record `{}` has {}, but the record of doc `{}` at {} has {}",
                r.id,
                name(&r.outlet),
                b.article.doc,
                self.place(b.first, r.at),
                name(&b.article.outlet)
            );
            return Err(self.bad(
                r.at,
                problem,
                "give every record of a doc the same `outlet`",
            ));
        }
        let b = self.current.as_mut().expect("a doc is being read");
        b.paras.insert(para, r.at);
        let doc = b.article.doc.clone();
        b.article.paragraphs.push(Paragraph {
            doc,
            para,
            text: r.text,
            line: r.at.line,
        });
        Ok(())
    }

    fn next_article(&mut self) -> Result<Option<Article>> {
        while let Some(r) = self.next_record()? {
            if let Some(article) = self.take(r)? {
                return Ok(Some(article));
            }
        }
        Ok(self.current.take().map(|b| b.article))
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Article>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let next = self.next_article().transpose();
        if !matches!(next, Some(Ok(_))) {
            self.finished = true;
        }
        next
    }
}

/// A field's value, or the message for a value of the wrong type.
type Field = std::result::Result<Option<String>, (String, &'static str)>;

/// Checks one non-blank line: `(id, cleaned text, outlet)`, or `(problem, hint)`.
fn parse_record(
    line: &str,
) -> std::result::Result<(String, String, Option<String>), (String, &'static str)> {
    // Most lines are objects with string fields: read them without building a JSON tree, and
    // fall back to the tree (which also takes the last of repeated keys) for anything else and
    // for the messages. (A struct would also accept an array, hence the look at the first byte.)
    let fast = match line.trim_start().starts_with('{') {
        true => serde_json::from_str::<Fast>(line).ok(),
        false => None,
    };
    let [id, raw, outlet]: [Field; 3] = match fast {
        Some(f) => [Ok(f.id), Ok(f.text), Ok(f.outlet)],
        None => slow_fields(line)?,
    };
    let id = id?
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ("no `id`".to_string(), "give every record a unique id"))?
        .to_owned();
    let text = crate::split::clean_line(raw?.as_deref().unwrap_or(""));
    if text.is_empty() {
        return Err((
            format!("record `{id}` has no `text`"),
            "remove the record or fill in its text",
        ));
    }
    if text.len() > MAX_PARAGRAPH_BYTES {
        return Err((
            format!(
                "record `{id}` has a text of {} bytes, over the {MAX_PARAGRAPH_BYTES}-byte limit",
                text.len()
            ),
            "a record is one paragraph: split the text into records",
        ));
    }
    let outlet = outlet?
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok((id, text, outlet))
}

/// The `id`, `text` and `outlet` fields of a line that the fast reader refused, through a JSON
/// tree.
fn slow_fields(line: &str) -> std::result::Result<[Field; 3], (String, &'static str)> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| (format!("not a JSON object ({e})"), SHAPE))?;
    let serde_json::Value::Object(mut obj) = value else {
        return Err(("not a JSON object".into(), SHAPE));
    };
    Ok(["id", "text", "outlet"].map(|name| match obj.remove(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err((format!("`{name}` is not a string"), SHAPE)),
    }))
}
