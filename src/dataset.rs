//! Reading labelled paragraphs: TSV, CSV or JSON Lines, each with named columns.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

mod delimited;

/// File formats for labelled data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tsv,
    Csv,
    JsonLines,
}

impl Format {
    /// Guesses the format from the file extension. JSON Lines covers `.json` files too: a file
    /// whose first non-blank line starts with `[` is read as one array of objects.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tsv" | "tab" => Some(Format::Tsv),
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Which columns hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub text: String,
    pub label: String,
    pub group: String,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            text: "text".into(),
            label: "label".into(),
            group: "doc".into(),
        }
    }
}

/// The annotator's confidence in a label (labelling guide, rule 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    Clear,
    Weak,
}

/// One labelled paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The article (cross-validation group) it belongs to.
    pub group: String,
    /// Position in the article, where the file has a `para` column.
    pub para: Option<String>,
    pub text: String,
    pub label: String,
    pub strength: Option<Strength>,
    /// 1-based line (TSV/CSV: of the record's start) for error messages.
    pub line: u64,
    /// Index into [`Dataset::sources`] of the file it came from.
    pub source: usize,
}

/// A file that labelled examples were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    pub rows: usize,
}

/// Labelled paragraphs from one or more files, validated.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub columns: Columns,
    pub examples: Vec<Example>,
    pub sources: Vec<Source>,
    /// Non-fatal observations the caller should show the user.
    pub warnings: Vec<String>,
}

impl Dataset {
    /// The file paths, joined with `+`, for messages about the data as a whole.
    pub fn name(&self) -> String {
        self.sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// Path of the file an example came from.
    pub fn path_of(&self, e: &Example) -> &Path {
        &self.sources[e.source].path
    }

    /// Appends another dataset (read with the same columns). Article ids are shared: a doc id
    /// that appears in both files is one article.
    pub fn extend(&mut self, other: Dataset) {
        let offset = self.sources.len();
        self.sources.extend(other.sources);
        self.warnings.extend(other.warnings);
        self.examples
            .extend(other.examples.into_iter().map(|mut e| {
                e.source += offset;
                e
            }));
    }

    /// This dataset with `extra`'s paragraphs appended ([`Dataset::extend`]), checked to be
    /// trainable. Without `extra` it is this dataset itself: a copy would hold every text twice.
    pub fn with_extra(&self, extra: Option<&Dataset>) -> Result<Cow<'_, Dataset>> {
        let all = match extra {
            None => Cow::Borrowed(self),
            Some(extra) => {
                let mut all = self.clone();
                all.extend(extra.clone());
                Cow::Owned(all)
            }
        };
        all.check_trainable()?;
        Ok(all)
    }

    /// Reads several files into one dataset.
    pub fn read_all(
        paths: &[PathBuf],
        columns: &Columns,
        format: Option<Format>,
    ) -> Result<Dataset> {
        let mut iter = paths.iter();
        let first = iter
            .next()
            .ok_or_else(|| Error::param("data", "no labelled-data file given"))?;
        let mut all = read_dataset(first, columns, format)?;
        for p in iter {
            all.extend(read_dataset(p, columns, format)?);
        }
        all.check_unique_ids()?;
        Ok(all)
    }

    /// Group index of every example (groups numbered in sorted order) and the number of groups.
    pub fn group_indices(&self) -> (Vec<usize>, usize) {
        let mut names: Vec<&str> = self.examples.iter().map(|e| e.group.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let idx = self
            .examples
            .iter()
            .map(|e| {
                names
                    .binary_search(&e.group.as_str())
                    .expect("group present")
            })
            .collect();
        (idx, names.len())
    }

    fn check_unique_ids(&self) -> Result<()> {
        let mut seen: HashMap<(&str, &str), &Example> = HashMap::new();
        for e in &self.examples {
            if let Some(p) = &e.para {
                if let Some(first) = seen.insert((&e.group, p), e) {
                    return Err(Error::data(
                        self.path_of(e),
                        e.line,
                        format!(
                            "duplicate paragraph id {}:{} (first at {} line {}); ids must be unique",
                            e.group,
                            p,
                            self.path_of(first).display(),
                            first.line
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Sorted class names.
    pub fn classes(&self) -> Vec<String> {
        self.class_counts().into_keys().collect()
    }

    pub fn class_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.examples {
            *counts.entry(e.label.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Number of distinct groups.
    pub fn n_groups(&self) -> usize {
        let mut g: Vec<&str> = self.examples.iter().map(|e| e.group.as_str()).collect();
        g.sort_unstable();
        g.dedup();
        g.len()
    }

    /// Checks that the data can train a classifier: two classes, none used only once.
    pub fn check_trainable(&self) -> Result<()> {
        let counts = self.class_counts();
        if counts.len() < 2 {
            return Err(Error::Unusable {
                path: self.name().into(),
                message: format!(
                    "only one label ({}) in column `{}`; a classifier needs at least two",
                    counts.keys().next().map(String::as_str).unwrap_or("none"),
                    self.columns.label
                ),
            });
        }
        if let Some((label, _)) = counts.iter().find(|(_, &n)| n == 1) {
            let e = self
                .examples
                .iter()
                .find(|e| &e.label == label)
                .expect("label has an example");
            return Err(Error::data(
                self.path_of(e),
                e.line,
                format!(
                    "label `{label}` is used only once; fix the typo or add more examples of it"
                ),
            ));
        }
        Ok(())
    }
}

/// Reads and validates a labelled-data file; the format comes from `format` or the extension.
pub fn read_dataset(path: &Path, columns: &Columns, format: Option<Format>) -> Result<Dataset> {
    let format = format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| Error::Unusable {
            path: path.to_path_buf(),
            message: "unknown file extension; use .tsv, .csv or .jsonl, or pass --format".into(),
        })?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read labels", e))?;
    parse_dataset(path, &bytes, columns, format)
}

/// Parses and validates labelled data from its bytes; `path` names it in messages and in the
/// dataset. Bytes that are not UTF-8 are read as Latin-1 with a warning (see
/// [`crate::decode::decode_or_latin1`]). The rules of the delimited formats are those of the
/// module `delimited` (quoted fields as in RFC 4180, strictly); other columns than the ones
/// named are ignored.
pub fn parse_dataset(
    path: &Path,
    bytes: &[u8],
    columns: &Columns,
    format: Format,
) -> Result<Dataset> {
    let (text, warning) = crate::decode::decode_or_latin1(path, bytes)?;
    let sha256 = {
        use sha2::{Digest, Sha256};
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut warnings: Vec<String> = warning.into_iter().collect();
    let records = match format {
        Format::Tsv => read_delimited(path, &text, b'\t', columns)?,
        Format::Csv => read_delimited(path, &text, b',', columns)?,
        Format::JsonLines => read_jsonl(path, &text, columns)?,
    };
    let mut examples = Vec::with_capacity(records.len());
    let mut has_group = true;
    for r in records {
        let text = crate::split::clean_line(&r.text);
        if text.is_empty() {
            return Err(Error::data(
                path,
                r.line,
                format!(
                    "empty `{}` field; remove the row or fill it in",
                    columns.text
                ),
            ));
        }
        let label = r.label.trim().to_owned();
        if label.is_empty() {
            return Err(Error::data(
                path,
                r.line,
                format!("empty `{}` field; every row needs a label", columns.label),
            ));
        }
        let strength = match r.strength.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.eq_ignore_ascii_case("clear") => Some(Strength::Clear),
            Some(s) if s.eq_ignore_ascii_case("weak") => Some(Strength::Weak),
            Some(s) => {
                return Err(Error::data(
                    path,
                    r.line,
                    format!("strength `{s}` is neither `clear` nor `weak`"),
                ));
            }
        };
        let group = match r.group {
            Some(g) if !g.trim().is_empty() => g.trim().to_owned(),
            Some(_) => {
                return Err(Error::data(
                    path,
                    r.line,
                    format!(
                        "empty `{}` field; every row needs its article id",
                        columns.group
                    ),
                ))
            }
            None => {
                has_group = false;
                format!("line-{}", r.line)
            }
        };
        examples.push(Example {
            group,
            // An empty `para` cell is no id: two of them in one article are not duplicates.
            para: r
                .para
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
            text,
            label,
            strength,
            line: r.line,
            source: 0,
        });
    }
    if examples.is_empty() {
        return Err(Error::Unusable {
            path: path.to_path_buf(),
            message: "no labelled rows".into(),
        });
    }
    if !has_group {
        warnings.push(format!(
            "{}: no `{}` column, so every row is its own group; name the article column with --group-col to keep articles together in cross-validation",
            path.display(),
            columns.group
        ));
    }
    let rows = examples.len();
    let data = Dataset {
        columns: columns.clone(),
        examples,
        sources: vec![Source {
            path: path.to_path_buf(),
            sha256,
            rows,
        }],
        warnings,
    };
    data.check_unique_ids()?;
    Ok(data)
}

struct RawRecord {
    line: u64,
    text: String,
    label: String,
    group: Option<String>,
    para: Option<String>,
    strength: Option<String>,
}

fn missing(path: &Path, column: &str, found: &[String], flag: &'static str) -> Error {
    Error::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_owned(),
        found: found.join(", "),
        flag,
    }
}

fn read_delimited(
    path: &Path,
    text: &str,
    delimiter: u8,
    columns: &Columns,
) -> Result<Vec<RawRecord>> {
    let records =
        delimited::records(text, delimiter).map_err(|p| Error::data(path, p.line, p.message))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(Error::Unusable {
            path: path.to_path_buf(),
            message: format!(
                "the file is empty; it needs a header row naming its columns ({}, {}, {})",
                columns.text, columns.label, columns.group
            ),
        });
    };
    let names: Vec<String> = header.fields.iter().map(|h| h.trim().to_owned()).collect();
    // Column names match without regard to case; a name given twice is ambiguous.
    let find = |name: &str| -> Result<Option<usize>> {
        let mut hits = names
            .iter()
            .enumerate()
            .filter(|(_, h)| h.eq_ignore_ascii_case(name))
            .map(|(i, _)| i);
        let first = hits.next();
        if let (Some(a), Some(b)) = (first, hits.next()) {
            return Err(Error::data(
                path,
                header.line,
                format!(
                    "the header names column `{name}` twice (columns {} and {}); rename one",
                    a + 1,
                    b + 1
                ),
            ));
        }
        Ok(first)
    };
    let text_i =
        find(&columns.text)?.ok_or_else(|| missing(path, &columns.text, &names, "--text-col"))?;
    let label_i = find(&columns.label)?
        .ok_or_else(|| missing(path, &columns.label, &names, "--label-col"))?;
    let group_i = find(&columns.group)?;
    if group_i.is_none() && columns.group != Columns::default().group {
        return Err(missing(path, &columns.group, &names, "--group-col"));
    }
    let para_i = find("para")?;
    let strength_i = find("strength")?;
    let what = if delimiter == b'\t' { "tab" } else { "comma" };
    let mut out = Vec::with_capacity(rows.len());
    for rec in rows {
        if rec.fields.len() != names.len() {
            return Err(Error::data(
                path,
                rec.line,
                format!(
                    "{} fields where the header has {}; check for a stray or missing {what} (a {what} inside a text must be in a quoted field)",
                    rec.fields.len(),
                    names.len()
                ),
            ));
        }
        let get = |i: usize| rec.fields[i].clone();
        out.push(RawRecord {
            line: rec.line,
            text: get(text_i),
            label: get(label_i),
            group: group_i.map(get),
            para: para_i.map(get),
            strength: strength_i.map(get),
        });
    }
    Ok(out)
}

fn read_jsonl(path: &Path, text: &str, columns: &Columns) -> Result<Vec<RawRecord>> {
    let first = text.lines().find(|l| !l.trim().is_empty());
    if first.is_some_and(|l| l.trim_start().starts_with('[')) {
        return read_json_array(path, text, columns);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lineno = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Error::data(path, lineno, format!("not a JSON object ({e})")))?;
        out.push(json_record(path, lineno, &value, columns)?);
    }
    Ok(out)
}

/// A `.json` file holding one array of objects (how many tools export a table): each object is
/// a record, reported under the line it starts on.
fn read_json_array(path: &Path, text: &str, columns: &Columns) -> Result<Vec<RawRecord>> {
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).map_err(|e| {
        Error::data(
            path,
            e.line() as u64,
            format!("not a JSON array of objects, nor JSON Lines ({e})"),
        )
    })?;
    let (mut line, mut seen) = (1u64, 0usize);
    let mut out = Vec::with_capacity(items.len());
    for raw in items {
        // The item is a slice of `text`: its line is counted from the previous item's.
        let at = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        line += text[seen..at].bytes().filter(|&b| b == b'\n').count() as u64;
        seen = at;
        let value: serde_json::Value = serde_json::from_str(raw.get())
            .map_err(|e| Error::data(path, line, format!("not a JSON object ({e})")))?;
        out.push(json_record(path, line, &value, columns)?);
    }
    Ok(out)
}

/// One JSON object as a record; `lineno` is where it starts, for errors.
fn json_record(
    path: &Path,
    lineno: u64,
    value: &serde_json::Value,
    columns: &Columns,
) -> Result<RawRecord> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::data(path, lineno, "not a JSON object"))?;
    let field = |name: &str| -> Result<Option<String>> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(serde_json::Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(Error::data(
                path,
                lineno,
                format!("field `{name}` must be a string or number"),
            )),
        }
    };
    let absent = |name: &str, flag: &str| {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        Error::data(
            path,
            lineno,
            format!(
                "no field `{name}` (found: {}); name the right one with {flag}",
                keys.join(", ")
            ),
        )
    };
    let text = field(&columns.text)?.ok_or_else(|| absent(&columns.text, "--text-col"))?;
    let label = field(&columns.label)?.ok_or_else(|| absent(&columns.label, "--label-col"))?;
    let group = field(&columns.group)?;
    if group.is_none() && columns.group != Columns::default().group {
        return Err(absent(&columns.group, "--group-col"));
    }
    Ok(RawRecord {
        line: lineno,
        text,
        label,
        group,
        para: field("para")?,
        strength: field("strength")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, body: &str, columns: &Columns) -> Result<Dataset> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        read_dataset(&p, columns, None)
    }

    #[test]
    fn reads_tsv_csv_and_jsonl_alike() {
        let c = Columns::default();
        let tsv = read(
            "a.tsv",
            "doc\tpara\tlabel\tstrength\ttext\nd1\t1\tx\tclear\tOne  text\nd1\t2\ty\tweak\tTwo\n",
            &c,
        )
        .unwrap();
        let csv = read(
            "a.csv",
            "doc,label,text\nd1,x,\"One, quoted \"\"text\"\"\"\nd2,y,Two\n",
            &c,
        )
        .unwrap();
        let jsonl = read("a.jsonl", "{\"doc\":1,\"label\":\"x\",\"text\":\"One\"}\n\n{\"doc\":2,\"label\":\"y\",\"text\":\"Two\"}\n", &c).unwrap();
        assert_eq!(tsv.examples[0].text, "One text");
        assert_eq!(tsv.examples[1].strength, Some(Strength::Weak));
        assert_eq!(tsv.examples[1].line, 3);
        assert_eq!(csv.examples[0].text, "One, quoted \"text\"");
        assert_eq!(jsonl.examples[1].group, "2");
        assert_eq!(jsonl.examples[1].line, 3);
        assert_eq!(tsv.classes(), ["x", "y"]);
    }

    #[test]
    fn missing_column_names_what_was_found() {
        let err = read("a.tsv", "doc\tlabel\tbody\nd\tx\tt\n", &Columns::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("no column named `text`")
                && msg.contains("body")
                && msg.contains("--text-col"),
            "{msg}"
        );
    }

    #[test]
    fn ragged_rows_and_empty_fields_name_the_line() {
        let err = read(
            "a.tsv",
            "doc\tlabel\ttext\nd\tx\tt\nd\ty\n",
            &Columns::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Data { line: 3, .. }), "{err}");
        let err = read("a.tsv", "doc\tlabel\ttext\nd\tx\t  \n", &Columns::default()).unwrap_err();
        assert!(matches!(err, Error::Data { line: 2, .. }), "{err}");
    }

    #[test]
    fn empty_para_cells_are_not_duplicate_ids() {
        // Regression: two rows of one article with an empty `para` were refused as duplicates.
        let d = read(
            "a.tsv",
            "doc\tpara\tlabel\ttext\nd\t\tx\ta\nd\t \tx\tb\nd\t1\tx\tc\n",
            &Columns::default(),
        )
        .unwrap();
        let paras: Vec<_> = d.examples.iter().map(|e| e.para.as_deref()).collect();
        assert_eq!(paras, [None, None, Some("1")]);
    }

    #[test]
    fn duplicate_ids_and_rare_labels_are_errors() {
        let err = read(
            "a.tsv",
            "doc\tpara\tlabel\ttext\nd\t1\tx\ta\nd\t1\ty\tb\n",
            &Columns::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("duplicate paragraph id d:1"),
            "{err}"
        );
        let d = read(
            "a.tsv",
            "doc\tlabel\ttext\nd\tx\ta\nd\tx\tb\ne\ty\tc\n",
            &Columns::default(),
        )
        .unwrap();
        let err = d.check_trainable().unwrap_err();
        assert!(err.to_string().contains("`y` is used only once"), "{err}");
        let d = read(
            "a.tsv",
            "doc\tlabel\ttext\nd\tx\ta\nd\tx\tb\n",
            &Columns::default(),
        )
        .unwrap();
        assert!(d
            .check_trainable()
            .unwrap_err()
            .to_string()
            .contains("only one label"));
    }

    #[test]
    fn header_names_match_case_insensitively_and_unused_columns_are_ignored() {
        let d = read(
            "a.tsv",
            "Doc\tLABEL\tText\tnotes\nd\tx\tone\tfirst\n",
            &Columns::default(),
        )
        .unwrap();
        assert_eq!(d.examples[0].text, "one");
        assert!(d.warnings.is_empty());
        let err = read("a.tsv", "text\tlabel\tTEXT\na\tx\tb\n", &Columns::default()).unwrap_err();
        assert!(err.to_string().contains("twice (columns 1 and 3)"), "{err}");
    }

    #[test]
    fn empty_files_say_what_is_expected() {
        for body in ["", "\n  \n"] {
            let err = read("a.csv", body, &Columns::default()).unwrap_err();
            assert!(err.to_string().contains("needs a header row"), "{err}");
        }
    }

    #[test]
    fn a_json_array_of_objects_reads_like_json_lines() {
        // As many tools export a table: one array, objects spread over lines.
        let c = Columns::default();
        let array = read(
            "a.json",
            "\n[\n  {\"doc\": 1, \"label\": \"x\",\n   \"text\": \"One\"},\n  {\"doc\": 2, \"label\": \"y\", \"text\": \"Two\"}\n]\n",
            &c,
        )
        .unwrap();
        let lines = read(
            "a.jsonl",
            "{\"doc\":1,\"label\":\"x\",\"text\":\"One\"}\n{\"doc\":2,\"label\":\"y\",\"text\":\"Two\"}\n",
            &c,
        )
        .unwrap();
        let strip = |d: &Dataset| -> Vec<(String, String, String)> {
            d.examples
                .iter()
                .map(|e| (e.group.clone(), e.label.clone(), e.text.clone()))
                .collect()
        };
        assert_eq!(strip(&array), strip(&lines));
        // Each record is reported under the line its object starts on.
        let at: Vec<u64> = array.examples.iter().map(|e| e.line).collect();
        assert_eq!(at, [3, 5]);
        // A bad element names its line; a broken array names where it broke.
        let err = read("a.json", "[\n{\"label\":\"x\",\"text\":\"a\"},\n7\n]", &c).unwrap_err();
        assert!(matches!(err, Error::Data { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("not a JSON object"), "{err}");
        let err = read(
            "a.json",
            "[\n{\"label\":\"x\",\"text\":\"a\"},\n{\"label\"\n",
            &c,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("not a JSON array of objects"),
            "{err}"
        );
        let err = read("a.json", "[{\"label\":\"x\",\"body\":\"a\"}]", &c).unwrap_err();
        assert!(err.to_string().contains("found: body, label"), "{err}");
    }

    #[test]
    fn a_json_line_without_a_field_names_its_line() {
        let err = read(
            "a.jsonl",
            "{\"doc\":1,\"label\":\"x\",\"text\":\"One\"}\n{\"doc\":2,\"label\":\"y\",\"body\":\"Two\"}\n",
            &Columns::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Data { line: 2, .. }), "{err}");
        assert!(err.to_string().contains("found: body, doc, label"), "{err}");
    }

    #[test]
    fn latin1_labels_are_read_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.csv");
        std::fs::write(&p, b"label,text\r\nFAVOR,caf\xE9 talks\rAGAINST,no\r").unwrap();
        let d = read_dataset(&p, &Columns::default(), None).unwrap();
        assert_eq!(d.examples[0].text, "caf\u{e9} talks");
        assert!(d.warnings.iter().any(|w| w.contains("Latin-1")));
    }

    #[test]
    fn files_combine_and_ids_stay_unique_across_them() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.tsv");
        let b = dir.path().join("b.tsv");
        std::fs::write(&a, "doc\tpara\tlabel\ttext\nd\t1\tx\tone\n").unwrap();
        std::fs::write(&b, "doc\tpara\tlabel\ttext\ne\t1\ty\ttwo\n").unwrap();
        let both = Dataset::read_all(&[a.clone(), b.clone()], &Columns::default(), None).unwrap();
        assert_eq!(both.examples.len(), 2);
        assert_eq!(both.path_of(&both.examples[1]), b.as_path());
        std::fs::write(&b, "doc\tpara\tlabel\ttext\nd\t1\ty\ttwo\n").unwrap();
        let err = Dataset::read_all(&[a, b], &Columns::default(), None).unwrap_err();
        assert!(
            err.to_string().contains("duplicate paragraph id d:1"),
            "{err}"
        );
    }

    #[test]
    fn missing_default_group_column_warns_and_uses_rows() {
        let d = read("a.csv", "label,text\nx,a\ny,b\n", &Columns::default()).unwrap();
        assert_eq!(d.n_groups(), 2);
        assert_eq!(d.warnings.len(), 1);
    }
}
