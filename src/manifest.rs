//! Which outlet published which article: a manifest file, or one sub-directory per outlet.
//!
//! A manifest is a tab-separated file with a header row and an `outlet` column, plus either
//!
//! - a `path` column: a file or directory relative to the manifest's own directory (a directory
//!   contributes every article file below it); the doc id is the file's path below the manifest's
//!   directory, without extension; or
//! - a `doc` column (the form of `seeds/outlets.tsv`): the file `<doc>.txt` (or `.md`, `.html`,
//!   `.htm`) in the manifest's directory; the doc id is `doc`.
//!
//! When both columns are present `path` is used. Other columns are ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::score::{article_files, doc_id, sorted_entries, Input, ARTICLE_EXTENSIONS};

/// One article and its outlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletEntry {
    pub file: PathBuf,
    pub doc: String,
    pub outlet: String,
    /// Line of the manifest that named the article (0 for `--by-dir`).
    pub line: u64,
}

/// Articles with their outlets, in the manifest's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlets {
    /// Where the assignment came from (the manifest or the directory).
    pub source: PathBuf,
    pub entries: Vec<OutletEntry>,
}

const HINT: &str =
    "a manifest is a TSV with a header naming `outlet` and `path` (or `doc`) columns";

impl Outlets {
    /// Reads a manifest (see the module documentation).
    pub fn read_manifest(path: &Path) -> Result<Outlets> {
        let text = crate::decode::read_text(path)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let bad = |line: u64, problem: String, hint: &'static str| Error::BadRecord {
            path: path.to_path_buf(),
            line,
            problem,
            hint,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, head)) = lines.next() else {
            return Err(bad(1, "empty manifest".into(), HINT));
        };
        let header: Vec<&str> = head.split('\t').map(str::trim).collect();
        let find = |name: &str| header.iter().position(|h| *h == name);
        let missing = |column: &str| Error::MissingColumn {
            path: path.to_path_buf(),
            column: column.into(),
            found: header.join(", "),
            flag: "--outlets (a `path` or `doc` column, and `outlet`)",
        };
        let outlet_i = find("outlet").ok_or_else(|| missing("outlet"))?;
        let (key_i, by_path) = match (find("path"), find("doc")) {
            (Some(i), _) => (i, true),
            (None, Some(i)) => (i, false),
            (None, None) => return Err(missing("path")),
        };
        let mut entries = Vec::new();
        for (i, line) in lines {
            let lineno = i as u64 + 1;
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            if fields.len() != header.len() {
                return Err(bad(
                    lineno,
                    format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        header.len()
                    ),
                    "separate the fields with single tabs",
                ));
            }
            let (key, outlet) = (fields[key_i], fields[outlet_i]);
            if key.is_empty() || outlet.is_empty() {
                return Err(bad(
                    lineno,
                    format!("empty `{}` or `outlet` field", header[key_i]),
                    "fill in both fields or remove the row",
                ));
            }
            if by_path {
                let target = dir.join(key);
                if target.is_dir() {
                    let files = article_files(&target)?;
                    if files.is_empty() {
                        return Err(bad(
                            lineno,
                            format!("directory `{key}` has no article files"),
                            "list directories that hold .txt, .md or .html articles",
                        ));
                    }
                    for file in files {
                        entries.push(entry(&file, &dir, outlet, lineno));
                    }
                } else if target.is_file() {
                    entries.push(entry(&target, &dir, outlet, lineno));
                } else {
                    return Err(bad(
                        lineno,
                        format!("`{}` does not exist", target.display()),
                        "paths are relative to the manifest's directory",
                    ));
                }
            } else {
                let found: Vec<PathBuf> = ARTICLE_EXTENSIONS
                    .iter()
                    .map(|e| dir.join(format!("{key}.{e}")))
                    .filter(|p| p.is_file())
                    .collect();
                match found.as_slice() {
                    [file] => entries.push(OutletEntry {
                        file: file.clone(),
                        doc: key.to_owned(),
                        outlet: outlet.to_owned(),
                        line: lineno,
                    }),
                    [] => {
                        return Err(bad(
                            lineno,
                            format!(
                                "no file {key}.{} in {}",
                                ARTICLE_EXTENSIONS.join(" or ."),
                                dir.display()
                            ),
                            "a `doc` names an article file beside the manifest",
                        ))
                    }
                    _ => {
                        return Err(bad(
                            lineno,
                            format!("`{key}` matches {} files", found.len()),
                            "keep one file per doc, or use a `path` column",
                        ))
                    }
                }
            }
        }
        if entries.is_empty() {
            return Err(bad(1, "no rows after the header".into(), HINT));
        }
        let out = Outlets {
            source: path.to_path_buf(),
            entries,
        };
        out.check_unique()?;
        Ok(out)
    }

    /// Every sub-directory of `dir` is one outlet (its name); its article files, walked
    /// recursively, are that outlet's articles. Article files directly in `dir` are an error.
    pub fn by_dir(dir: &Path) -> Result<Outlets> {
        let mut entries = Vec::new();
        for p in sorted_entries(dir)? {
            if p.is_dir() {
                let outlet = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                for file in article_files(&p)? {
                    entries.push(entry(&file, dir, &outlet, 0));
                }
            } else if crate::score::is_article_file(&p) {
                return Err(Error::Unusable {
                    path: p,
                    message: "an article outside any outlet sub-directory; move it into its outlet's directory".into(),
                });
            }
        }
        if entries.is_empty() {
            return Err(Error::Unusable {
                path: dir.to_path_buf(),
                message: "no article files in sub-directories; --by-dir expects one sub-directory of articles per outlet".into(),
            });
        }
        let out = Outlets {
            source: dir.to_path_buf(),
            entries,
        };
        out.check_unique()?;
        Ok(out)
    }

    fn check_unique(&self) -> Result<()> {
        let mut docs: BTreeMap<&str, &Path> = BTreeMap::new();
        let mut files: BTreeMap<PathBuf, u64> = BTreeMap::new();
        for e in &self.entries {
            let canonical = e.file.canonicalize().unwrap_or_else(|_| e.file.clone());
            if let Some(first) = files.insert(canonical, e.line) {
                return Err(Error::BadRecord {
                    path: self.source.clone(),
                    line: e.line,
                    problem: format!("{} is already listed at line {first}", e.file.display()),
                    hint: "list every article once",
                });
            }
            if let Some(first) = docs.insert(&e.doc, &e.file) {
                return Err(Error::DuplicateArticle {
                    doc: e.doc.clone(),
                    first: first.to_path_buf(),
                    second: e.file.clone(),
                });
            }
        }
        Ok(())
    }

    /// The articles as score inputs, in order, each with its outlet.
    pub fn inputs(&self) -> Vec<Input> {
        self.entries
            .iter()
            .map(|e| Input::File {
                path: e.file.clone(),
                doc: e.doc.clone(),
                outlet: Some(e.outlet.clone()),
            })
            .collect()
    }

    /// Sets the outlet of every file input this assignment names (compared by canonical path).
    pub fn label(&self, inputs: &mut [Input]) {
        inputs.iter_mut().for_each(self.labeller());
    }

    /// What [`Outlets::label`] does, one input at a time.
    pub fn labeller(&self) -> impl Fn(&mut Input) + '_ {
        let by_file: BTreeMap<PathBuf, &str> = self
            .entries
            .iter()
            .filter_map(|e| Some((e.file.canonicalize().ok()?, e.outlet.as_str())))
            .collect();
        move |input| {
            if let Input::File { path, outlet, .. } = input {
                if let Some(o) = path.canonicalize().ok().and_then(|p| by_file.get(&p)) {
                    *outlet = Some((*o).to_owned());
                }
            }
        }
    }
}

fn entry(file: &Path, dir: &Path, outlet: &str, line: u64) -> OutletEntry {
    OutletEntry {
        file: file.to_path_buf(),
        doc: doc_id(file, dir),
        outlet: outlet.to_owned(),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, body) in [
            ("dawn/a.txt", "One."),
            ("dawn/2024/b.html", "<p>Two.</p>"),
            ("print/c.md", "Three."),
            ("d.txt", "Four."),
        ] {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        d
    }

    #[test]
    fn path_manifests_resolve_files_and_directories_beside_the_manifest() {
        let d = tree();
        let m = d.path().join("m.tsv");
        std::fs::write(&m, "path\toutlet\nprint/c.md\tThePrint\ndawn\tDawn\n").unwrap();
        let o = Outlets::read_manifest(&m).unwrap();
        let got: Vec<(&str, &str, u64)> = o
            .entries
            .iter()
            .map(|e| (e.doc.as_str(), e.outlet.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("print/c", "ThePrint", 2),
                ("dawn/2024/b", "Dawn", 3),
                ("dawn/a", "Dawn", 3)
            ]
        );
    }

    #[test]
    fn doc_manifests_find_the_article_file() {
        let d = tree();
        let m = d.path().join("outlets.tsv");
        std::fs::write(&m, "doc\toutlet\nd\tX\n").unwrap();
        let o = Outlets::read_manifest(&m).unwrap();
        assert_eq!(o.entries[0].file, d.path().join("d.txt"));
        assert_eq!(o.entries[0].doc, "d");
    }

    #[test]
    fn by_dir_uses_sub_directories_and_refuses_loose_articles() {
        let d = tree();
        let err = Outlets::by_dir(d.path()).unwrap_err();
        assert!(err.to_string().contains("outside any outlet"), "{err}");
        std::fs::remove_file(d.path().join("d.txt")).unwrap();
        let o = Outlets::by_dir(d.path()).unwrap();
        let got: Vec<(&str, &str)> = o
            .entries
            .iter()
            .map(|e| (e.doc.as_str(), e.outlet.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("dawn/2024/b", "dawn"),
                ("dawn/a", "dawn"),
                ("print/c", "print")
            ]
        );
    }

    #[test]
    fn bad_manifests_name_the_line() {
        let d = tree();
        let m = d.path().join("m.tsv");
        for (body, needle) in [
            ("file\toutlet\nd.txt\tX\n", "no column named `path`"),
            ("path\toutlet\nnope.txt\tX\n", "line 2: "),
            ("path\toutlet\nd.txt\t\n", "line 2: empty"),
            ("path\toutlet\nd.txt\tX\textra\n", "line 2: 3 fields"),
            ("path\toutlet\nd.txt\tX\n./d.txt\tY\n", "line 3: "),
            ("doc\toutlet\nzzz\tX\n", "no file zzz.txt"),
            ("path\toutlet\n", "no rows"),
        ] {
            std::fs::write(&m, body).unwrap();
            let err = Outlets::read_manifest(&m).unwrap_err();
            assert!(err.to_string().contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn labels_inputs_by_canonical_path() {
        let d = tree();
        let m = d.path().join("m.tsv");
        std::fs::write(&m, "path\toutlet\nd.txt\tX\n").unwrap();
        let o = Outlets::read_manifest(&m).unwrap();
        let mut inputs =
            crate::score::collect_inputs(&[d.path().join("./d.txt"), d.path().join("print")])
                .unwrap();
        o.label(&mut inputs);
        assert_eq!(inputs[0].outlet(), Some("X"));
        assert_eq!(inputs[1].outlet(), None);
    }
}
