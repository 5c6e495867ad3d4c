//! Diagnostics for check files that point at `file:line:col` of the user's YAML.

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::CheckFile;

/// One problem in a check file, with the span it concerns.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(code(mamori::check))]
pub struct CheckDiagnostic {
    /// The file's display path.
    pub path: String,
    /// 1-based line of the span start.
    pub line: usize,
    /// 1-based column of the span start.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    #[source_code]
    src: Option<NamedSource<String>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
}

impl CheckDiagnostic {
    /// A diagnostic at a byte offset and length in a file.
    pub fn at(file: &CheckFile, offset: usize, len: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(file.text.len());
        let (line, column) = line_col(&file.text, offset);
        let message = message.into();
        CheckDiagnostic {
            path: file.path.clone(),
            line,
            column,
            label: short_label(&message),
            message,
            src: Some(NamedSource::new(file.path.clone(), file.text.to_string())),
            span: Some(SourceSpan::new(offset.into(), len.max(1))),
        }
    }

    /// A diagnostic about a file or directory as a whole.
    pub fn plain(path: &str, message: impl Into<String>) -> Self {
        CheckDiagnostic {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: message.into(),
            src: None,
            span: None,
            label: String::new(),
        }
    }

    /// A diagnostic on a top-level key (`id:`, `severity:` ...) of the file.
    pub fn at_key(file: &CheckFile, key: &str, message: impl Into<String>) -> Self {
        match key_span(&file.text, key) {
            Some((o, l)) => Self::at(file, o, l, message),
            None => Self::at(file, 0, 1, message),
        }
    }

    /// A YAML syntax or shape error.
    pub fn yaml(file: &CheckFile, err: &serde_yaml_ng::Error) -> Self {
        let msg = crate::diagnostics::strip_position(&err.to_string());
        match err.location() {
            Some(loc) => Self::at(file, loc.index(), 1, format!("invalid check file: {msg}")),
            None => Self::at(file, 0, 1, format!("invalid check file: {msg}")),
        }
    }

    /// A CEL parse error in the value of `key`, pointing into the expression.
    pub fn cel_parse(file: &CheckFile, key: &str, expr: &str, errs: &cel::ParseErrors) -> Self {
        let first = errs.errors.first();
        let msg = first.map_or_else(|| errs.to_string(), |e| e.msg.clone());
        // cel reports 1-based lines and 0-based columns within the expression.
        let (eline, ecol) = first.map_or((1, 0), |e| {
            (
                usize::try_from(e.pos.0).unwrap_or(1).max(1),
                usize::try_from(e.pos.1).unwrap_or(0),
            )
        });
        let offset = expr_offset(&file.text, key, expr, eline, ecol);
        Self::at(file, offset, 1, format!("invalid CEL in `{key}`: {msg}"))
    }

    /// An error inside the expression of `key`, at a byte range of the expression.
    pub fn in_expr(
        file: &CheckFile,
        key: &str,
        expr: &str,
        range: (usize, usize),
        message: impl Into<String>,
    ) -> Self {
        let before = &expr[..range.0.min(expr.len())];
        let eline = before.matches('\n').count() + 1;
        let ecol = before
            .rfind('\n')
            .map_or(before.len(), |i| before.len() - i - 1);
        let offset = expr_offset(&file.text, key, expr, eline, ecol);
        Self::at(file, offset, range.1.saturating_sub(range.0), message)
    }
}

fn short_label(message: &str) -> String {
    message.split(':').next().unwrap_or(message).to_string()
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset and length of a top-level `key:` in YAML text.
pub fn key_span(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(key) && line[key.len()..].starts_with(':') {
            return Some((offset, key.len()));
        }
        offset += line.len();
    }
    None
}

/// Maps a position inside the value of top-level `key` (1-based line, 0-based column
/// within the expression) to a byte offset in the file. Handles plain, quoted and
/// literal/folded block scalars; for folded blocks the line is approximate.
fn expr_offset(text: &str, key: &str, expr: &str, eline: usize, ecol: usize) -> usize {
    let Some((key_off, _)) = key_span(text, key) else {
        return 0;
    };
    let line_end = text[key_off..]
        .find('\n')
        .map_or(text.len(), |i| key_off + i);
    let after = &text[key_off + key.len() + 1..line_end];
    let trimmed = after.trim_start();
    let value_start = line_end - after.len() + (after.len() - trimmed.len());
    let block = trimmed.starts_with('|') || trimmed.starts_with('>');
    if !block {
        let quote = usize::from(trimmed.starts_with('"') || trimmed.starts_with('\''));
        return value_start + quote + ecol;
    }
    // Block scalar: content starts on the next line, at its indentation.
    let mut offset = line_end + 1;
    let mut lines = text.get(offset..).unwrap_or("").split_inclusive('\n');
    let mut indent = None;
    let mut current = 1;
    let folded = trimmed.starts_with('>');
    let target_line = if folded { 1 } else { eline };
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            offset += l.len();
            if indent.is_some() {
                current += 1;
            }
            continue;
        }
        let ind = *indent.get_or_insert(l.len() - l.trim_start().len());
        if current == target_line {
            let col = if folded {
                ecol.min(l.trim_end().len().saturating_sub(ind))
            } else {
                ecol
            };
            return offset + ind + col;
        }
        current += 1;
        offset += l.len();
    }
    let _ = expr;
    value_start
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_span_finds_top_level_keys_only() {
        let t = "id: x\nremediation:\n  text: y\ntext: z\n";
        assert_eq!(key_span(t, "text"), Some((29, 4)));
    }

    #[test]
    fn block_scalar_offsets_point_into_the_expression() {
        let t = "id: x\ncondition: |\n  a &&\n  b.c\n";
        let off = expr_offset(t, "condition", "a &&\nb.c\n", 2, 2);
        assert_eq!(&t[off..off + 1], "c");
        let t2 = "condition: \"a + b\"\n";
        let off = expr_offset(t2, "condition", "a + b", 1, 4);
        assert_eq!(&t2[off..off + 1], "b");
    }
}
