//! `--format html`: one self-contained assessment report (inline CSS and SVG, no
//! scripts, no network fetches) that prints cleanly to PDF.

use super::view::AssessmentView;
use super::{ReportError, template};

/// Renders the HTML report from the assessment view.
pub fn render(view: &AssessmentView) -> Result<String, ReportError> {
    template::render(template::HTML, view)
}
