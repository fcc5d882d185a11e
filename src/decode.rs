//! Turning a file's bytes into text: byte-order marks, UTF-16, line endings, binary detection.

use std::path::Path;

use crate::error::{Error, Result};

/// Reads a whole file and decodes it with [`decode`].
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read file", e))?;
    decode(path, &bytes)
}

/// Decodes bytes as UTF-8 (a leading byte-order mark is dropped) or, when a UTF-16 byte-order
/// mark says so, as UTF-16. Line endings become `\n`. A known binary format (PNG, PDF, ZIP, ...),
/// NUL bytes, UTF-16 without a byte-order mark and invalid UTF-8 are errors naming the line:
/// guessing an encoding would silently change the text.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String> {
    let encoding_error = |line: u64, problem: String, hint: &'static str| Error::Encoding {
        path: path.to_path_buf(),
        line,
        problem,
        hint,
    };
    check_magic(path, bytes)?;
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        decode_utf16(path, rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        decode_utf16(path, rest, u16::from_be_bytes)?
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        // `contains` is a fast byte search; the position is only needed for the message.
        if body.contains(&0) {
            let pos = body.iter().position(|&b| b == 0).unwrap_or(0);
            return Err(if looks_like_utf16(body) {
                encoding_error(
                    line_of(body, pos),
                    "UTF-16 text without a byte-order mark".into(),
                    "re-save the file as UTF-8 (or as UTF-16 with a byte-order mark)",
                )
            } else {
                encoding_error(
                    line_of(body, pos),
                    "NUL byte: this looks like a binary file, not text".into(),
                    "pass plain text, Markdown or HTML files",
                )
            });
        }
        match std::str::from_utf8(body) {
            Ok(s) => s.to_owned(),
            Err(e) => {
                return Err(encoding_error(
                    line_of(body, e.valid_up_to()),
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                    "re-save the file as UTF-8",
                ))
            }
        }
    };
    Ok(normalize_newlines(text))
}

/// The checks that need only the first bytes: UTF-32, and known binary formats.
fn check_magic(path: &Path, bytes: &[u8]) -> Result<()> {
    let encoding_error = |problem: String, hint: &'static str| Error::Encoding {
        path: path.to_path_buf(),
        line: 1,
        problem,
        hint,
    };
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(encoding_error(
            "UTF-32 text".into(),
            "re-save the file as UTF-8",
        ));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match binary_format(body) {
        Some(kind) => Err(encoding_error(
            format!("this is {kind}, not text"),
            "convert it to plain text (UTF-8) first",
        )),
        None => Ok(()),
    }
}

/// Reads text one line at a time with the rules of [`decode`] (the same errors, naming the same
/// lines), so a large file is never held whole: a UTF-8 byte-order mark is dropped, CRLF and lone
/// CR end lines, NUL bytes and invalid UTF-8 are errors at their line. UTF-16 with a byte-order
/// mark is the exception: it is decoded whole first.
pub struct TextLines<'r> {
    path: std::path::PathBuf,
    reader: Box<dyn std::io::BufRead + 'r>,
    /// The first kilobyte of the body, for telling UTF-16 without a byte-order mark from binary.
    head: Vec<u8>,
    /// The current `\n`-terminated chunk, without its line ending; lone CRs split it into lines.
    chunk: Vec<u8>,
    /// Where the next line starts in `chunk`; `None` once the chunk is used up.
    cursor: Option<usize>,
    /// Number of the last line returned.
    line: u64,
    /// Bytes of the body (after any byte-order mark) read so far.
    offset: usize,
    /// Bytes read from the source so far, byte-order mark included.
    consumed: u64,
    /// False when the source was read whole at the start (UTF-16), so `consumed` is final.
    counting: bool,
}

impl<'r> TextLines<'r> {
    /// Opens a file.
    pub fn open(path: &Path) -> Result<TextLines<'static>> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot read file", e))?;
        TextLines::new(path, std::io::BufReader::with_capacity(1 << 16, file))
    }

    /// Reads from `reader`; `path` names it in errors. Checks the first bytes at once (a binary
    /// format, UTF-32).
    pub fn new(path: &Path, mut reader: impl std::io::BufRead + 'r) -> Result<Self> {
        use std::io::Read;
        let io_err = |e| Error::io(path, "cannot read file", e);
        // A kilobyte of body after a possible 3-byte byte-order mark, as `decode` looks at.
        let mut head = Vec::with_capacity(1027);
        (&mut reader)
            .take(1027)
            .read_to_end(&mut head)
            .map_err(io_err)?;
        check_magic(path, &head)?;
        // (reader of UTF-8 text, head of the body, bytes already read that the reader skips)
        let (reader, head, skipped): (Box<dyn std::io::BufRead + 'r>, Vec<u8>, usize) =
            if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
                let mut bytes = head;
                reader.read_to_end(&mut bytes).map_err(io_err)?;
                let text = decode(path, &bytes)?.into_bytes();
                (
                    Box::new(std::io::Cursor::new(text)),
                    Vec::new(),
                    bytes.len(),
                )
            } else {
                let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    3
                } else {
                    0
                };
                let body = head[bom..].iter().take(1024).copied().collect();
                let mut start = std::io::Cursor::new(head);
                start.set_position(bom as u64);
                (Box::new(start.chain(reader)), body, bom)
            };
        Ok(TextLines {
            path: path.to_path_buf(),
            reader,
            head,
            chunk: Vec::new(),
            cursor: None,
            line: 0,
            offset: 0,
            consumed: skipped as u64,
            counting: skipped <= 3,
        })
    }

    /// Bytes read so far (for progress).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The next line and its number, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &str)>> {
        if self.cursor.is_none() && !self.next_chunk()? {
            return Ok(None);
        }
        let start = self.cursor.expect("a chunk is loaded");
        let end = match self.chunk[start..].iter().position(|&b| b == b'\r') {
            Some(i) => {
                self.cursor = Some(start + i + 1);
                start + i
            }
            None => {
                self.cursor = None;
                self.chunk.len()
            }
        };
        self.line += 1;
        let text = std::str::from_utf8(&self.chunk[start..end]).expect("checked in next_chunk");
        Ok(Some((self.line, text)))
    }

    /// Reads and checks the next `\n`-terminated chunk; false at the end.
    fn next_chunk(&mut self) -> Result<bool> {
        self.chunk.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.chunk)
            .map_err(|e| Error::io(&self.path, "cannot read file", e))?;
        if n == 0 {
            return Ok(false);
        }
        let start = self.offset;
        self.offset += n;
        if self.counting {
            self.consumed += n as u64;
        }
        // The line number of a byte of this chunk: lone CRs before it end lines too.
        let line_at = |chunk: &[u8], pos: usize| {
            self.line + 1 + chunk[..pos].iter().filter(|&&b| b == b'\r').count() as u64
        };
        let bad = |line: u64, problem: String, hint: &'static str| Error::Encoding {
            path: self.path.clone(),
            line,
            problem,
            hint,
        };
        if let Some(pos) = self.chunk.iter().position(|&b| b == 0) {
            let line = line_at(&self.chunk, pos);
            return Err(if looks_like_utf16(&self.head) {
                bad(
                    line,
                    "UTF-16 text without a byte-order mark".into(),
                    "re-save the file as UTF-8 (or as UTF-16 with a byte-order mark)",
                )
            } else {
                bad(
                    line,
                    "NUL byte: this looks like a binary file, not text".into(),
                    "pass plain text, Markdown or HTML files",
                )
            });
        }
        if let Err(e) = std::str::from_utf8(&self.chunk) {
            let line = line_at(&self.chunk, e.valid_up_to());
            return Err(bad(
                line,
                format!("invalid UTF-8 at byte {}", start + e.valid_up_to()),
                "re-save the file as UTF-8",
            ));
        }
        if self.chunk.last() == Some(&b'\n') {
            self.chunk.pop();
        }
        if self.chunk.last() == Some(&b'\r') {
            self.chunk.pop();
        }
        self.cursor = Some(0);
        Ok(true)
    }
}

/// Like [`decode`], but bytes that are not valid UTF-8 are read as Latin-1 (ISO 8859-1) instead
/// of failing; the returned warning says so, naming the file and the first bad line. Meant for
/// labelled data from other tools, which is often Latin-1 or Windows-1252.
pub fn decode_or_latin1(path: &Path, bytes: &[u8]) -> Result<(String, Option<String>)> {
    match decode(path, bytes) {
        Err(Error::Encoding { line, problem, .. }) if problem.starts_with("invalid UTF-8") => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            let text: String = body.iter().map(|&b| b as char).collect();
            let warning = format!(
                "{} is not UTF-8 (first bad byte on line {line}); read it as Latin-1: check accented letters, or re-save it as UTF-8",
                path.display()
            );
            Ok((normalize_newlines(text), Some(warning)))
        }
        other => other.map(|t| (t, None)),
    }
}

/// Names a binary file format from its first bytes (its "magic number").
fn binary_format(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (
            b"PK\x03\x04",
            "a ZIP archive (a .docx, .odt or .xlsx file is one)",
        ),
        (b"\x1F\x8B", "a gzip archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "a Microsoft Office (.doc or .xls) file",
        ),
    ];
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, kind)| *kind)
}

/// True when NUL bytes fill most of the even or most of the odd positions of the first
/// kilobyte: mostly-ASCII UTF-16 whose byte-order mark is missing.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let pairs = head.len() / 2;
    if pairs == 0 {
        return false;
    }
    let zeros_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    zeros_at(0) * 10 >= pairs * 7 || zeros_at(1) * 10 >= pairs * 7
}

fn decode_utf16(path: &Path, body: &[u8], word: fn([u8; 2]) -> u16) -> Result<String> {
    if !body.len().is_multiple_of(2) {
        return Err(Error::Encoding {
            path: path.to_path_buf(),
            line: 1,
            problem: "UTF-16 byte-order mark but an odd number of bytes".into(),
            hint: "re-save the file as UTF-8",
        });
    }
    let units = body.chunks_exact(2).map(|c| word([c[0], c[1]]));
    let mut out = String::with_capacity(body.len() / 2);
    let mut line = 1;
    for ch in char::decode_utf16(units) {
        match ch {
            Ok('\0') | Err(_) => {
                return Err(Error::Encoding {
                    path: path.to_path_buf(),
                    line,
                    problem: "invalid UTF-16 text".into(),
                    hint: "re-save the file as UTF-8",
                })
            }
            Ok(c) => {
                if c == '\n' {
                    line += 1;
                }
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// 1-based line number of a byte offset. LF, CRLF and a lone CR each end a line, as they do for
/// the text handed on (and for [`TextLines`]), so a CR-only file's errors name the line an editor
/// shows.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    1 + (0..end)
        .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count() as u64
}

/// CRLF and lone CR become LF, so every later stage sees one kind of line ending.
fn normalize_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(bytes: &[u8]) -> Result<String> {
        decode(Path::new("t.txt"), bytes)
    }

    #[test]
    fn strips_bom_and_normalizes_line_endings() {
        assert_eq!(d(b"\xEF\xBB\xBFa\r\nb\rc\n").unwrap(), "a\nb\nc\n");
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        for u in "Hi\r\nthere".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(d(&le).unwrap(), "Hi\nthere");
        let mut be = vec![0xFE, 0xFF];
        for u in "Kabul".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(d(&be).unwrap(), "Kabul");
    }

    /// Lines and errors of [`TextLines`], read through a reader that hands out 3 bytes at a time.
    fn streamed(bytes: &[u8]) -> Result<Vec<(u64, String)>> {
        struct Dribble<'a>(&'a [u8]);
        impl std::io::Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let reader = std::io::BufReader::with_capacity(5, Dribble(bytes));
        let mut lines = TextLines::new(Path::new("t.txt"), reader)?;
        let mut out = Vec::new();
        while let Some((n, line)) = lines.next_line()? {
            out.push((n, line.to_owned()));
        }
        assert_eq!(lines.consumed(), bytes.len() as u64);
        Ok(out)
    }

    #[test]
    fn streamed_lines_match_decoded_lines_and_errors() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "one\r\ntwo\rthree".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let mut no_bom = Vec::new();
        for u in "Talks\nfailed".encode_utf16() {
            no_bom.extend_from_slice(&u.to_le_bytes());
        }
        let mut long = format!("{}\n\u{e9}", "x".repeat(3000)).into_bytes();
        long.push(0xFF);
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"a\n".to_vec(),
            b"a\n\n".to_vec(),
            b"\n\nb\n".to_vec(),
            b"\xEF\xBB\xBFa\r\nb\rc\n".to_vec(),
            b"a\r".to_vec(),
            b"a\r\r\nb\r\r".to_vec(),
            "caf\u{e9}\r\nna\u{ef}ve\n".as_bytes().to_vec(),
            utf16,
            no_bom,
            long,
            b"ok\nstill ok\nbad \xFF here".to_vec(),
            b"one\n\x89PNG\0\0".to_vec(),
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            b"%PDF-1.7\n".to_vec(),
            b"\xFF\xFE\0\0T\0\0\0".to_vec(),
            b"text\0with a NUL".to_vec(),
        ];
        for bytes in cases {
            let whole = d(&bytes).map(|t| {
                t.lines()
                    .enumerate()
                    .map(|(i, l)| (i as u64 + 1, l.to_owned()))
                    .collect::<Vec<_>>()
            });
            let lines = streamed(&bytes);
            match (whole, lines) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{bytes:?}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{bytes:?}"),
                (a, b) => panic!("{bytes:?}: {a:?} vs {b:?}"),
            }
        }
        // A lone CR ends a line here and in `decode` alike (regression: `decode` counted only
        // LFs, so the two named different lines for a CR-only file).
        let err = streamed(b"ok\rstill\rbad \xFF").unwrap_err().to_string();
        assert!(err.contains("line 3: invalid UTF-8 at byte 13"), "{err}");
        let whole = decode(Path::new("t.txt"), b"ok\rstill\rbad \xFF").unwrap_err();
        assert_eq!(whole.to_string(), err);
        let crlf = decode(Path::new("t"), b"a\r\nb\r\n\xFF")
            .unwrap_err()
            .to_string();
        assert!(crlf.contains("line 3"), "{crlf}");
        let err = streamed(b"a\rb\0").unwrap_err().to_string();
        assert!(err.contains("line 2: NUL byte"), "{err}");
    }

    #[test]
    fn latin1_fallback_warns_with_the_line() {
        let (text, warning) = decode_or_latin1(Path::new("l.csv"), b"a,b\r\ncaf\xE9,x\r").unwrap();
        assert_eq!(text, "a,b\ncaf\u{e9},x\n");
        assert!(warning
            .unwrap()
            .contains("l.csv is not UTF-8 (first bad byte on line 2)"));
        assert_eq!(
            decode_or_latin1(Path::new("u"), b"ok").unwrap(),
            ("ok".into(), None)
        );
        assert!(decode_or_latin1(Path::new("b"), b"\0\xff").is_err());
    }

    #[test]
    fn reports_line_of_bad_bytes() {
        let err = d(b"ok\nstill ok\nbad \xFF here").unwrap_err();
        assert!(matches!(err, Error::Encoding { line: 3, .. }), "{err}");
        let err = d(b"one\n\x89PNG\0\0").unwrap_err();
        assert!(matches!(err, Error::Encoding { line: 2, .. }), "{err}");
    }

    #[test]
    fn names_binary_formats_and_odd_encodings() {
        let png = d(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err().to_string();
        assert!(png.contains("line 1: this is a PNG image"), "{png}");
        let pdf = d(b"%PDF-1.7\n%\xE2\xE3").unwrap_err().to_string();
        assert!(pdf.contains("a PDF document"), "{pdf}");
        let docx = d(b"PK\x03\x04\x14\0").unwrap_err().to_string();
        assert!(docx.contains(".docx"), "{docx}");
        let mut no_bom = Vec::new();
        for u in "Talks\nfailed".encode_utf16() {
            no_bom.extend_from_slice(&u.to_le_bytes());
        }
        let err = d(&no_bom).unwrap_err().to_string();
        assert!(
            err.contains("UTF-16 text without a byte-order mark"),
            "{err}"
        );
        let err = d(b"\xFF\xFE\0\0T\0\0\0").unwrap_err().to_string();
        assert!(err.contains("UTF-32"), "{err}");
        let err = d(b"text\0with a NUL").unwrap_err().to_string();
        assert!(err.contains("NUL byte"), "{err}");
    }
}
