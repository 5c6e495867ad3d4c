//! Message templates: text with `{{ cel expression }}` parts, evaluated against the
//! same variables as the check's condition.

use cel::{Context, Value};

/// A compiled message template.
#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Expr(cel::Program, Option<super::compiled::Compiled>),
}

impl Template {
    /// Compiles a template. An unterminated `{{` is kept as text.
    pub fn compile(src: &str) -> Result<Self, cel::ParseErrors> {
        let env = super::cel_env();
        let mut parts = Vec::new();
        let mut rest = src;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start + 2..].find("}}") else {
                break;
            };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let expr = rest[start + 2..start + 2 + len].trim();
            let program = env.compile(expr)?;
            let compiled = super::compiled::compile(program.expression());
            parts.push(Part::Expr(program, compiled));
            rest = &rest[start + 2 + len + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// Renders the template; a part that fails to evaluate renders as `?`.
    pub fn render(&self, ctx: &Context<'_, '_>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Expr(prog, _) => match prog.execute(ctx) {
                    Ok(v) => display(&v, &mut out),
                    Err(_) => out.push('?'),
                },
            }
        }
        out.trim().to_string()
    }
}

impl Template {
    /// Renders the template with its compiled parts; `None` when one of them is not
    /// compiled or is left to cel (then [`Template::render`] it).
    pub fn render_compiled(&self, scope: &super::compiled::Scope<'_>) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Expr(_, Some(c)) => match c.text(scope) {
                    Ok(Some(text)) => out.push_str(&text),
                    Ok(None) => out.push('?'),
                    Err(_) => return None,
                },
                Part::Expr(_, None) => return None,
            }
        }
        Some(out.trim().to_string())
    }
}

/// Writes a CEL value the way a person reads it: strings bare, lists comma-separated.
pub fn display(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::UInt(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&f.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push('-'),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                display(item, out);
            }
        }
        other => match other.json() {
            Ok(j) => out.push_str(&j.to_string()),
            Err(_) => out.push_str(&format!("{other:?}")),
        },
    }
}
