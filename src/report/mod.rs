//! Reporters: every output format is rendered from one [`ScanReport`].

pub mod json;
pub mod sarif;
pub mod table;

use crate::findings::ScanReport;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// A readable table of failing findings with a summary (the default).
    Table,
    /// The findings JSON document (every evaluated pair, passes included).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

impl Format {
    /// The conventional file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }
}

/// Options that change how a report is rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use ANSI colour (tables only).
    pub color: bool,
    /// Show passing findings too (tables only).
    pub show_passes: bool,
}

/// Renders a report in a format.
pub fn render(report: &ScanReport, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
    }
}
