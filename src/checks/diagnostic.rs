//! Diagnostics for check files that point at `file:line:col` of the user's YAML.

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::CheckFile;
use crate::diagnostics::value_offset;
pub use crate::diagnostics::{key_span, line_col};

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
    pub fn cel_parse(file: &CheckFile, key: &str, errs: &cel::ParseErrors) -> Self {
        let first = errs.errors.first();
        let msg = first.map_or_else(|| errs.to_string(), |e| e.msg.clone());
        // cel reports 1-based lines and 0-based columns within the expression.
        let (eline, ecol) = first.map_or((1, 0), |e| {
            (
                usize::try_from(e.pos.0).unwrap_or(1).max(1),
                usize::try_from(e.pos.1).unwrap_or(0),
            )
        });
        let offset = value_offset(&file.text, key, eline, ecol);
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
        let offset = value_offset(&file.text, key, eline, ecol);
        Self::at(file, offset, range.1.saturating_sub(range.0), message)
    }
}

fn short_label(message: &str) -> String {
    message.split(':').next().unwrap_or(message).to_string()
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
        let off = value_offset(t, "condition", 2, 2);
        assert_eq!(&t[off..off + 1], "c");
        let t2 = "condition: \"a + b\"\n";
        let off = value_offset(t2, "condition", 1, 4);
        assert_eq!(&t2[off..off + 1], "b");
    }
}
