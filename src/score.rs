//! Scoring articles: find the input files, split them, and give every paragraph probabilities.

use std::path::{Path, PathBuf};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::eval::argmax;
use crate::model::{StanceModel, TermWeight};
use crate::split::{split_text, Paragraph, Split};

/// File extensions read when walking a directory.
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md"];

/// A paragraph longer than this (1 MiB, some 170,000 words, a hundred times a long op-ed) is
/// refused: such a "paragraph" is a file without paragraph breaks, a dump or a binary, and
/// analysing it would cost time and memory for a meaningless score.
pub const MAX_PARAGRAPH_BYTES: usize = 1 << 20;

/// One article to score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file, with the document id it is reported under.
    File { path: PathBuf, doc: String },
    /// Standard input, reported as doc `-`.
    Stdin,
}

impl Input {
    pub fn doc(&self) -> &str {
        match self {
            Input::File { doc, .. } => doc,
            Input::Stdin => "-",
        }
    }

    /// The path named in messages (`<stdin>` for standard input).
    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } => path,
            Input::Stdin => Path::new("<stdin>"),
        }
    }

    /// Reads and decodes the article's text.
    pub fn text(&self) -> Result<String> {
        match self {
            Input::File { path, .. } => crate::decode::read_text(path),
            Input::Stdin => {
                use std::io::Read;
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .map_err(|e| Error::io(self.path(), "cannot read standard input", e))?;
                crate::decode::decode(self.path(), &bytes)
            }
        }
    }

    /// Reads and splits the article; a paragraph over [`MAX_PARAGRAPH_BYTES`] is an error.
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
}

/// Expands paths into inputs: a file is taken as is (its doc id is its file stem); a directory is
/// walked recursively in sorted order for [`TEXT_EXTENSIONS`] (doc id: the path below the
/// directory, without extension); `-` is standard input.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Input::Stdin);
        } else if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            if found.is_empty() {
                return Err(Error::Unusable {
                    path: path.clone(),
                    message: format!(
                        "no .{} files in this directory; point slant at articles",
                        TEXT_EXTENSIONS.join(" or .")
                    ),
                });
            }
            for file in found {
                let rel = file.strip_prefix(path).unwrap_or(&file).with_extension("");
                let doc = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Input::File { path: file, doc });
            }
        } else {
            std::fs::metadata(path).map_err(|e| Error::io(path, "cannot read input", e))?;
            let doc = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            out.push(Input::File {
                path: path.clone(),
                doc,
            });
        }
    }
    check_unique_docs(&out)?;
    Ok(out)
}

/// Two inputs with one doc id would give their paragraphs the same ids: refuse before any work.
fn check_unique_docs(inputs: &[Input]) -> Result<()> {
    let mut seen: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
    for input in inputs {
        if let Some(first) = seen.insert(input.doc(), input.path()) {
            return Err(Error::Unusable {
                path: input.path().to_path_buf(),
                message: format!(
                    "its doc id `{}` is also that of {}, so their paragraph ids would clash; pass each file once, rename one, or pass a directory that holds both (ids then include the sub-directory)",
                    input.doc(),
                    first.display()
                ),
            });
        }
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "cannot list directory", e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, "cannot list directory", e))?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| TEXT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    Ok(())
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

/// One scored paragraph (a JSON Lines record of `slant score`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRecord<'a> {
    pub doc: String,
    pub para: u32,
    pub label: &'a str,
    pub probs: Probabilities<'a>,
    /// With `--explain`: the terms that pushed hardest toward `label`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<Vec<TermWeight>>,
}

/// Scores the paragraphs of one article together, so that context features see each
/// paragraph's neighbours. `explain` asks for that many top terms per paragraph.
pub fn score_article<'m>(
    model: &'m StanceModel,
    paragraphs: &[Paragraph],
    explain: Option<usize>,
) -> Vec<ScoreRecord<'m>> {
    let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
    let rows = model
        .featurizer()
        .transform_articles(&texts, &vec![0; texts.len()]);
    paragraphs
        .iter()
        .zip(rows)
        .map(|(p, row)| {
            let mut values = vec![0.0; model.classes().len()];
            model.pipeline.linear.probabilities_into(&row, &mut values);
            let best = argmax(&values);
            ScoreRecord {
                doc: p.doc.clone(),
                para: p.para,
                label: &model.classes()[best],
                probs: Probabilities {
                    classes: model.classes(),
                    values,
                },
                terms: explain.map(|n| model.explain_row(&row, best, n)),
            }
        })
        .collect()
}
