//! The template environment behind the HTML and Markdown reports.
//!
//! Templates live in `src/report/templates/` and are embedded at build time. HTML output
//! is auto-escaped by minijinja (the template name ends in `.html`); Markdown text goes
//! through the `md`, `cell` and `code` filters defined here.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, HtmlEscape, UndefinedBehavior};

use super::ReportError;
use super::view::AssessmentView;

/// The HTML report template.
pub const HTML: &str = "report.html";
/// The Markdown report template.
pub const MARKDOWN: &str = "report.md";

/// Builds the environment with both templates and the filters they use.
fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template(HTML, include_str!("templates/report.html"))?;
    env.add_template(MARKDOWN, include_str!("templates/report.md"))?;
    env.add_filter("when", when);
    env.add_filter("prose", prose);
    env.add_filter("md", md_inline);
    env.add_filter("cell", md_cell);
    env.add_filter("code", md_code);
    env.add_filter("fence", md_fence);
    Ok(env)
}

/// Renders a view with one of the templates.
pub fn render(name: &str, view: &AssessmentView) -> Result<String, ReportError> {
    let env = environment().map_err(|e| ReportError::Template(format!("{e:#}")))?;
    let tmpl = env
        .get_template(name)
        .map_err(|e| ReportError::Template(format!("{e:#}")))?;
    let mut out = tmpl
        .render(minijinja::context! { v => Serde(view) })
        .map_err(|e| ReportError::Template(format!("{e:#}")))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// An RFC 3339 timestamp as `2026-06-01 00:00 UTC`; anything else unchanged.
pub fn when(value: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) if value.is_empty() => "unknown".to_string(),
        Err(_) => value.to_string(),
    }
}

/// HTML for prose from check files: escaped, with `backtick` spans as `<code>`.
pub fn prose(value: &str) -> Value {
    let parts: Vec<String> = value
        .split('`')
        .map(|p| HtmlEscape(p).to_string())
        .collect();
    // An odd number of backticks is not code markup: keep them as typed.
    let html = if parts.len() % 2 == 1 {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i % 2 == 1 {
                    format!("<code>{p}</code>")
                } else {
                    p.clone()
                }
            })
            .collect::<String>()
    } else {
        HtmlEscape(value).to_string()
    };
    Value::from_safe_string(html)
}

/// Collapses whitespace runs (including newlines) to single spaces.
fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes the characters that Markdown (CommonMark / GitHub) would interpret inline.
pub fn md_inline(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in one_line(value).chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Text for a table cell: inline-escaped, on one line.
pub fn md_cell(value: &str) -> String {
    md_inline(value)
}

/// Text inside an inline code span within a table: no backticks, pipes escaped.
pub fn md_code(value: &str) -> String {
    one_line(value).replace('`', "'").replace('|', "\\|")
}

/// A fenced code block long enough to hold any backtick run in the content.
pub fn md_fence(value: &str, lang: &str) -> String {
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}", value.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes() {
        assert_eq!(md_inline("a|b *c*\n<x>"), "a\\|b \\*c\\* \\<x\\>");
        assert_eq!(md_code("a`b|c"), "a'b\\|c");
        assert_eq!(md_fence("x ```` y", "sh"), "`````sh\nx ```` y\n`````");
        assert_eq!(when("2026-06-01T00:00:00Z"), "2026-06-01 00:00 UTC");
        assert_eq!(when(""), "unknown");
        assert_eq!(
            prose("for `ports` <b>").to_string(),
            "for <code>ports</code> &lt;b&gt;"
        );
        assert_eq!(prose("a ` b").to_string(), "a ` b");
    }
}
