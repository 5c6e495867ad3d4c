//! Where reports go: one format to standard output or `--output FILE`, or several
//! formats to `--output-dir DIR` as `mamori-report.<ext>`. Shared by `mamori scan` and
//! `mamori report`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{PlainError, report_error};
use crate::compliance::Framework;
use crate::findings::ScanReport;
use crate::report::{self, Format, RenderOptions};

/// Where and how to write the reports.
#[derive(Debug, Clone)]
pub(crate) struct Destination<'a> {
    /// The formats, in the order given (duplicates ignored).
    pub formats: &'a [Format],
    /// `--output FILE`.
    pub output: Option<&'a Path>,
    /// `--output-dir DIR`.
    pub output_dir: Option<&'a Path>,
    /// `--show-passes`.
    pub show_passes: bool,
    /// `--compliance`, resolved.
    pub compliance: Option<&'a Framework>,
}

/// Looks a framework up by id; reports an error naming the known ones when there is none.
pub(crate) fn framework(id: &str) -> Option<Framework> {
    let found = crate::compliance::framework(id);
    if found.is_none() {
        report_error(PlainError::with_help(
            format!("unknown compliance framework `{id}`"),
            format!(
                "known frameworks: {}",
                crate::compliance::known_frameworks().join(", ")
            ),
        ));
    }
    found
}

impl Destination<'_> {
    /// Renders and writes every format. Returns the files written, or an error already
    /// reported on standard error.
    pub fn write(&self, report: &ScanReport) -> Result<Vec<PathBuf>, ()> {
        let mut formats: Vec<Format> = Vec::new();
        for f in self.formats {
            if !formats.contains(f) {
                formats.push(*f);
            }
        }
        if formats.is_empty() {
            formats.push(Format::Table);
        }
        if formats.len() > 1 && self.output_dir.is_none() {
            report_error(PlainError::with_help(
                "several formats need an output directory",
                "add `--output-dir DIR`: each format is written to DIR/mamori-report.<ext>",
            ));
            return Err(());
        }
        let to_terminal =
            self.output.is_none() && self.output_dir.is_none() && std::io::stdout().is_terminal();
        let opts = RenderOptions {
            color: to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            show_passes: self.show_passes,
            compliance: self.compliance,
        };
        if let Some(dir) = self.output_dir
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            report_error(PlainError::new(format!(
                "cannot create {}: {e}",
                dir.display()
            )));
            return Err(());
        }
        let mut written = Vec::new();
        for format in formats {
            let path = match (self.output_dir, self.output) {
                (Some(dir), _) => Some(dir.join(format.file_name())),
                (None, Some(file)) => Some(file.to_path_buf()),
                (None, None) => None,
            };
            if format == Format::Json {
                // Streamed: the document can be far larger than the findings it holds.
                if let Err(e) = stream_json(path.as_deref(), report) {
                    report_error(PlainError::new(e));
                    return Err(());
                }
                written.extend(path);
                continue;
            }
            let text = match report::render(report, format, opts) {
                Ok(t) => t,
                Err(e) => {
                    report_error(e);
                    return Err(());
                }
            };
            if let Err(e) = write_output(path.as_deref(), &text) {
                report_error(PlainError::new(e));
                return Err(());
            }
            written.extend(path);
        }
        Ok(written)
    }
}

fn stream_json(path: Option<&Path>, report: &ScanReport) -> Result<(), String> {
    write_with(path, |out| report::json::write_to(report, out))
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    write_with(path, |out| out.write_all(text.as_bytes()))
}

/// Runs `write` on a buffered FILE (its errors reported) or on standard output, where a
/// closed pipe (e.g. `| head`) is not an error worth reporting.
pub(super) fn write_with(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) => {
            // Overwritten in place and cut to length at the end, not truncated first:
            // ext4 flushes a file truncated to zero and rewritten when it is closed
            // (`auto_da_alloc`), which makes rewriting a large report wait on the disk.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(p)
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            let cut = |file: &mut std::fs::File| -> std::io::Result<()> {
                if file.metadata()?.is_file() {
                    let end = std::io::Seek::stream_position(file)?;
                    file.set_len(end)?;
                }
                Ok(())
            };
            write(&mut out)
                .and_then(|()| out.flush())
                .and_then(|()| cut(out.get_mut()))
                .map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let _ = write(&mut out).and_then(|()| out.flush());
            Ok(())
        }
    }
}
