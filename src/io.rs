//! Writing files so that a failure never leaves half a file behind.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Checks, before any work, that `path` can be an output file: its directory exists and it is
/// not itself a directory. Returns the directory.
pub fn check_output(path: &Path) -> Result<&Path> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        let (kind, problem, hint) = if dir.exists() {
            (
                std::io::ErrorKind::NotADirectory,
                "is a file, not a directory",
                "choose a path inside a directory",
            )
        } else {
            (
                std::io::ErrorKind::NotFound,
                "does not exist",
                "create the directory first, or choose another path",
            )
        };
        return Err(Error::Io {
            path: path.to_path_buf(),
            action: "cannot write",
            source: std::io::Error::new(kind, format!("{} {problem}", dir.display())),
            hint,
        });
    }
    if path.is_dir() {
        return Err(Error::io(
            path,
            "cannot write",
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    Ok(dir)
}

/// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = check_output(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable; a file system that cannot sync a directory is fine.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, "cannot write", e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(&dir.path().join("no/such/m.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_file_as_directory_or_a_directory_as_target_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"keep").unwrap();
        let err = write_atomic(&file.join("m.json"), b"x").unwrap_err();
        assert!(
            err.to_string().contains("is a file, not a directory"),
            "{err}"
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_atomic(&sub, b"x").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
        assert_eq!(std::fs::read(&file).unwrap(), b"keep");
    }
}
