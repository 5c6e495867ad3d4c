//! Progress on standard error, shown only when it is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress reporting for long collections.
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
    quiet: bool,
}

impl Progress {
    /// Progress bars on stderr when it is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        Progress {
            multi: enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            quiet,
        }
    }

    /// No progress output.
    pub fn hidden() -> Self {
        Progress {
            multi: None,
            quiet: true,
        }
    }

    /// Prints `warning: MESSAGE` on standard error (above the bars), unless quiet.
    pub fn warn(&self, message: &str) {
        let line = format!("warning: {message}");
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }

    /// A spinner with a message; finish it with [`ProgressBar::finish_and_clear`].
    pub fn task(&self, message: impl Into<String>) -> ProgressBar {
        match &self.multi {
            Some(m) => {
                let pb = m.add(ProgressBar::new_spinner());
                pb.set_style(
                    ProgressStyle::with_template("{spinner} {msg} [{elapsed}] {pos} calls")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                pb.enable_steady_tick(Duration::from_millis(120));
                pb.set_message(message.into());
                pb
            }
            None => ProgressBar::hidden(),
        }
    }
}
