//! A strict reader for delimited text (TSV and CSV), so that no malformed row is silently
//! merged into another or changed.
//!
//! The rules, the same for both delimiters:
//!
//! - A record ends at a line break. Lines that are blank (only spaces, and no delimiter) between
//!   records are skipped.
//! - A field that starts with `"` is quoted: it runs to the next `"` that is not doubled (`""`
//!   stands for one quote) and may hold delimiters and line breaks. The closing quote must be
//!   followed by the delimiter, a line break or the end of the file; anything else is an error,
//!   and so is a quote that never closes.
//! - Any other field runs to the next delimiter or line break; quotes inside it are kept as
//!   they are. So in an unquoted TSV field a raw tab starts a new field (and the row comes out
//!   ragged), and `He said "no"` reads as written.
//!
//! The input has `\n` line endings (see [`crate::decode`]).

/// One record and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

/// What is wrong, and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: u64,
    pub message: String,
}

/// Splits `text` into records of fields separated by `delimiter` (an ASCII byte).
pub(crate) fn records(text: &str, delimiter: u8) -> Result<Vec<Record>, Problem> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < bytes.len() {
        let end = find(bytes, pos, |b| b == b'\n').unwrap_or(bytes.len());
        if bytes[pos..end].iter().all(|&b| b == b' ') {
            pos = end + 1;
            line += 1;
            continue;
        }
        let start = line;
        let mut fields = Vec::new();
        loop {
            let (field, next) = if bytes.get(pos) == Some(&b'"') {
                quoted(text, pos, &mut line)?
            } else {
                let end = find(bytes, pos, |b| b == delimiter || b == b'\n').unwrap_or(bytes.len());
                (text[pos..end].to_owned(), end)
            };
            fields.push(field);
            match bytes.get(next) {
                Some(&b) if b == delimiter => pos = next + 1,
                Some(&b'\n') => {
                    pos = next + 1;
                    line += 1;
                    break;
                }
                None => {
                    pos = next;
                    break;
                }
                Some(_) => {
                    return Err(Problem {
                        line,
                        message: format!(
                            "field {} has text after its closing quote; a field that starts with a quote must end with one (write each quote inside it twice: \"\"), or use curly quotes",
                            fields.len()
                        ),
                    })
                }
            }
        }
        out.push(Record {
            line: start,
            fields,
        });
    }
    Ok(out)
}

/// Reads the quoted field whose opening quote is at `open`; returns its value and the position
/// just after the closing quote. `line` follows the line breaks inside the field.
fn quoted(text: &str, open: usize, line: &mut u64) -> Result<(String, usize), Problem> {
    let bytes = text.as_bytes();
    let opened_on = *line;
    let mut value = String::new();
    let mut pos = open + 1;
    loop {
        let Some(close) = find(bytes, pos, |b| b == b'"') else {
            return Err(Problem {
                line: opened_on,
                message: "a quoted field starts here and never ends; add its closing quote, or write each quote inside it twice (\"\")".into(),
            });
        };
        let chunk = &text[pos..close];
        *line += chunk.bytes().filter(|&b| b == b'\n').count() as u64;
        value.push_str(chunk);
        if bytes.get(close + 1) == Some(&b'"') {
            value.push('"');
            pos = close + 2;
        } else {
            return Ok((value, close + 1));
        }
    }
}

/// Position of the first byte at or after `from` that matches.
fn find(bytes: &[u8], from: usize, hit: impl Fn(u8) -> bool) -> Option<usize> {
    bytes[from..].iter().position(|&b| hit(b)).map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: u64, fields: &[&str]) -> Record {
        Record {
            line,
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn plain_and_quoted_fields() {
        assert_eq!(
            records("a\tb\n\nc\t\"d\te\"\"f\"\n  \ng\t\n", b'\t').unwrap(),
            [
                rec(1, &["a", "b"]),
                rec(3, &["c", "d\te\"f"]),
                rec(5, &["g", ""])
            ]
        );
        assert_eq!(
            records("x,\"one\ntwo\",y\nz,He said \"no\",w", b',').unwrap(),
            [
                rec(1, &["x", "one\ntwo", "y"]),
                rec(3, &["z", "He said \"no\"", "w"])
            ]
        );
        assert_eq!(records("\"\"", b',').unwrap(), [rec(1, &[""])]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_not_a_merged_row() {
        // Regression: the csv crate read everything after an unclosed quote into one field,
        // silently merging the rows below it.
        let err = records("doc\ttext\nd\t\"Never closed\ne\tnext row\n", b'\t').unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("never ends"), "{}", err.message);
    }

    #[test]
    fn text_after_a_closing_quote_is_an_error_not_a_dropped_quote() {
        // Regression: the csv crate turned `"Talks" failed` into `Talks failed`.
        let err = records("doc\ttext\nd\t\"Talks\" failed, he said.\n", b'\t').unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("field 2"), "{}", err.message);
        let err = records("a,b\n\"x\ny\"z,w\n", b',').unwrap_err();
        assert_eq!(err.line, 3);
    }
}
