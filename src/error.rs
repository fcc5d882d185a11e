//! The one error type of the library.
//!
//! Every variant carries enough structure (path, line, expected vs found) for the binary to print
//! one line that says what went wrong, where, and what to do about it.

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in slant's library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {action}: {source}; {hint}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
        /// What to do about it (by default chosen from the kind of I/O error).
        hint: &'static str,
    },

    /// Input bytes are not text slant can decode.
    #[error("{} line {line}: {problem}; {hint}", path.display())]
    Encoding {
        path: PathBuf,
        line: u64,
        problem: String,
        hint: &'static str,
    },

    /// A labelled-data file is malformed at a given record.
    #[error("{} line {line}: {message}", path.display())]
    Data {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// A record of an input file (JSON Lines paragraphs, an outlet manifest) is malformed.
    #[error("{} line {line}: {problem}; {hint}", path.display())]
    BadRecord {
        path: PathBuf,
        line: u64,
        problem: String,
        hint: &'static str,
    },

    /// Two articles of one comparison have the same doc id.
    #[error(
        "{}: article `{doc}` also comes from {}; give every article its own file name",
        second.display(),
        first.display()
    )]
    DuplicateArticle {
        doc: String,
        first: PathBuf,
        second: PathBuf,
    },

    /// An outlet to compare has no article with a content paragraph.
    #[error(
        "outlet `{outlet}`: none of its {articles} articles has a content paragraph; look at them with `slant split --show-dropped`"
    )]
    EmptyOutlet { outlet: String, articles: usize },

    /// A required column is absent from a labelled-data file's header.
    #[error(
        "{}: no column named `{column}` (found: {found}); name the right one with {flag}",
        path.display()
    )]
    MissingColumn {
        path: PathBuf,
        column: String,
        found: String,
        flag: &'static str,
    },

    /// The data cannot train a model (too few classes, groups or rows).
    #[error("{}: {message}", path.display())]
    Unusable { path: PathBuf, message: String },

    /// A model file was written by an incompatible format version.
    #[error(
        "{}: model format version {found} is not supported (this slant reads version {expected}); retrain it with `slant train`",
        path.display()
    )]
    ModelVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },

    /// A model file is not a valid slant model.
    #[error("{}: not a valid slant model: {message}; retrain it with `slant train`", path.display())]
    ModelInvalid { path: PathBuf, message: String },

    /// A hyper-parameter is out of range; checked before any fitting starts.
    #[error("invalid parameter `{name}`: {message}")]
    Param { name: &'static str, message: String },

    /// Dense training features would not fit the memory budget.
    #[error(
        "training matrix of {rows} paragraphs x {features} features needs {needed_mib} MiB, over the {limit_mib} MiB limit; use --solver lbfgs"
    )]
    TooLarge {
        rows: usize,
        features: usize,
        needed_mib: u64,
        limit_mib: u64,
    },

    /// The optimiser failed.
    #[error("training failed: {0}")]
    Fit(String),
}

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        let hint = io_hint(source.kind());
        Error::Io {
            path: path.into(),
            action,
            source,
            hint,
        }
    }

    pub(crate) fn data(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::ModelInvalid {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn param(name: &'static str, message: impl Into<String>) -> Self {
        Error::Param {
            name,
            message: message.into(),
        }
    }
}

/// What a user can do about an I/O error of this kind.
fn io_hint(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::NotFound => "check the path",
        K::PermissionDenied => "check the permissions, or choose another path",
        K::IsADirectory => "name a file, not a directory",
        K::NotADirectory => "part of the path is a file, not a directory; check the path",
        K::ReadOnlyFilesystem => "choose a path on a writable file system",
        K::StorageFull => "free some disk space",
        K::InvalidInput | K::InvalidFilename => "check the path",
        _ => "check the path and try again",
    }
}
