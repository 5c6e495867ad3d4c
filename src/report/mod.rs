//! Reporters: every output format is rendered from one [`ScanReport`], so any format can
//! be regenerated from a saved findings JSON (`mamori report FILE.json --format ...`).
//!
//! Machine formats (`json`, `sarif`, `ocsf`, `junit`, `csv`) are built from the findings;
//! the human reports (`html`, `markdown`) from an [`view::AssessmentView`] computed once,
//! through the templates in `src/report/templates/`.

pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ocsf;
pub mod sarif;
pub mod table;
pub mod template;
pub mod view;

use crate::compliance::Framework;
use crate::findings::ScanReport;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// A readable table of failing findings with a summary (the default).
    Table,
    /// The findings JSON document (every evaluated pair, passes included).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// A self-contained HTML assessment report (prints to PDF).
    Html,
    /// The assessment report as Markdown.
    #[value(alias = "md")]
    Markdown,
    /// One row per finding, for spreadsheets.
    Csv,
    /// OCSF 1.3 Compliance Finding events (JSON array), for data lakes and SIEMs.
    Ocsf,
    /// JUnit XML, one test case per check and resource, for CI dashboards.
    Junit,
}

impl Format {
    /// The conventional file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf.json",
            Format::Junit => "junit.xml",
        }
    }

    /// The file name used with `--output-dir`: `mamori-report.<ext>`.
    pub fn file_name(self) -> String {
        format!("mamori-report.{}", self.extension())
    }
}

/// Options that change how a report is rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Use ANSI colour (tables only).
    pub color: bool,
    /// Show passing findings too (tables only).
    pub show_passes: bool,
    /// Show every control of this framework with its status (table, HTML, Markdown).
    pub compliance: Option<&'a Framework>,
}

/// A report could not be rendered.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReportError {
    /// A template failed to render (a bug in a template).
    #[error("cannot render the report template: {0}")]
    Template(String),
    /// A machine format failed to encode.
    #[error("cannot encode the report: {0}")]
    Encode(String),
}

/// Renders a report in a format.
pub fn render(
    report: &ScanReport,
    format: Format,
    opts: RenderOptions,
) -> Result<String, ReportError> {
    Ok(match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Html => html::render(&view::build(report, opts.compliance))?,
        Format::Markdown => markdown::render(&view::build(report, opts.compliance))?,
        Format::Csv => csv::render(report)?,
        Format::Ocsf => ocsf::render(report)?,
        Format::Junit => junit::render(report)?,
    })
}
