//! `--format markdown`: the assessment report as GitHub-flavoured Markdown, with the
//! same sections as the HTML report (summary, scope and limitations, posture by area,
//! compliance, findings).

use super::view::AssessmentView;
use super::{ReportError, template};

/// Renders the Markdown report from the assessment view.
pub fn render(view: &AssessmentView) -> Result<String, ReportError> {
    template::render(template::MARKDOWN, view)
}
