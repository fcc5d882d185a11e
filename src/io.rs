//! Writing files so that a failure never leaves half a file behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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

/// Temporary files of [`AtomicFile`]s not yet committed or dropped, for [`remove_unfinished`].
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while holding the lock leaves a list that is still right.
    UNFINISHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the temporary file of every [`AtomicFile`] still being written. For a binary's
/// Ctrl-C or SIGTERM handler, which ends the process without running destructors: without it an
/// interrupted run would leave its `.<name>.tmp<pid>` file behind.
pub fn remove_unfinished() {
    for tmp in unfinished().drain(..) {
        let _ = std::fs::remove_file(tmp);
    }
}

/// An output file written through a temporary file beside it (`.<name>.tmp<pid>`) and renamed
/// into place by [`AtomicFile::commit`], so that readers see the old file or the whole new one.
/// Dropped without a commit (an error, a panic), it removes the temporary file and leaves any
/// old file untouched. Writes are buffered; their errors name the output path.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    /// Checks the destination ([`check_output`]) and creates the temporary file.
    pub fn create(path: &Path) -> Result<Self> {
        let dir = check_output(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(path, "cannot write", e))?;
        unfinished().push(tmp.clone());
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The temporary file being written.
    pub fn temporary_path(&self) -> &Path {
        &self.tmp
    }

    /// Flushes, syncs and renames the temporary file into place.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("only commit takes the file");
        let result = (|| {
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&self.tmp, &self.path)
        })();
        if result.is_err() {
            // Not renamed: nothing half written may stay behind.
            let _ = std::fs::remove_file(&self.tmp);
        }
        self.forget_unfinished();
        result.map_err(|e| Error::io(&self.path, "cannot write", e))?;
        // Make the rename itself durable; a file system that cannot sync a directory is fine.
        let dir = self.tmp.parent().unwrap_or(Path::new("."));
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Takes the temporary file off the list of [`remove_unfinished`]: renamed, or removed.
    fn forget_unfinished(&self) {
        let mut list = unfinished();
        if let Some(i) = list.iter().position(|p| *p == self.tmp) {
            list.swap_remove(i);
        }
    }

    fn named(&self, e: std::io::Error) -> std::io::Error {
        let message = format!("{}: cannot write: {e}", self.path.display());
        std::io::Error::new(e.kind(), message)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let file = self.file.as_mut().expect("written before commit");
        file.write(buf).map_err(|e| self.named(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let file = self.file.as_mut().expect("written before commit");
        file.write_all(buf).map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let file = self.file.as_mut().expect("written before commit");
        file.flush().map_err(|e| self.named(e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // Not committed: the half-written file goes, unflushed.
            drop(file.into_parts());
            let _ = std::fs::remove_file(&self.tmp);
            self.forget_unfinished();
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| Error::io(path, "cannot write", e))?;
    file.commit()
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

    /// Regression: a commit whose rename failed left the temporary file behind.
    #[test]
    fn a_failed_commit_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("scores.jsonl");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        let tmp = f.temporary_path().to_path_buf();
        // The destination becomes a non-empty directory, which a rename cannot replace.
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("keep"), b"x").unwrap();
        let e = f.commit().unwrap_err().to_string();
        assert!(e.contains("cannot write"), "{e}");
        assert!(!tmp.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("scores.jsonl");
        std::fs::write(&p, b"old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(&vec![b'x'; 200_000]).unwrap();
        let tmp = f.temporary_path().to_path_buf();
        assert!(tmp.exists() && tmp.parent() == p.parent());
        drop(f);
        assert!(!tmp.exists());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"old",
            "not visible before commit"
        );
        f.commit().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
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
