//! `--export PATH` (repeatable) on `ask` and `sql`: each file is written in the format its
//! extension names (`plainsight_core::export`). What was saved is said on stderr when stdout
//! carries JSON (so it stays exactly one object), else on stdout. A failed export fails the
//! command after the answer was printed, naming the file and why.

use std::path::PathBuf;

use anyhow::{bail, Result};
use plainsight_core::export::{self, Format, Report};

/// Refuses an export whose format is unknown before any work is done.
pub(crate) fn check_all(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        Format::of_path(path)?;
    }
    Ok(())
}

pub(crate) fn save_all(report: &Report<'_>, paths: &[PathBuf], json: bool) -> Result<()> {
    let mut failed = Vec::new();
    for path in paths {
        match export::write(report, path) {
            Ok(format) => {
                let what = match format {
                    Format::Csv | Format::Xlsx => "table",
                    Format::Png | Format::Svg => "chart",
                    Format::Html => "answer card",
                };
                let line = format!("Saved the {what} to {}", path.display());
                if json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
            Err(e) => failed.push(format!("{}: {e}", path.display())),
        }
    }
    if !failed.is_empty() {
        bail!("could not export {}", failed.join("; "));
    }
    Ok(())
}
