//! "Export…": the answer on screen saved where the person chooses in the native save dialog, as
//! its table (CSV, XLSX), its chart (PNG, SVG) or an answer card (HTML), all made by
//! `plainsight_core::export`. `PLAINSIGHT_EXPORT_DIR` (a developer and test override) skips the
//! dialog and saves under the suggested name in that folder.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use plainsight_core::export::{self, Format, Report};
use plainsight_core::Answer;
use plainsight_ipc::ExportFormat;
use tauri::{Runtime, WebviewWindow};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};

use crate::error::AppError;

/// The environment variable that replaces the save dialog with a folder.
pub const EXPORT_DIR_ENV: &str = "PLAINSIGHT_EXPORT_DIR";

/// The answer on screen, with where its data came from and when it was read.
#[derive(Debug, Clone)]
pub struct Shown {
    pub answer: Answer,
    pub source: String,
    pub at: DateTime<Utc>,
}

impl Shown {
    fn report(&self) -> Report<'_> {
        Report::of_answer(&self.answer, &self.source, self.at)
    }

    /// A file name from the chart's title or the question: "Revenue by region" →
    /// `revenue-by-region.csv`.
    pub fn file_name(&self, format: ExportFormat) -> String {
        let title = self
            .answer
            .chart
            .as_ref()
            .map_or(self.answer.question.as_str(), |c| c.title.as_str());
        let mut slug = String::new();
        for word in title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
        {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word.to_lowercase());
        }
        if slug.is_empty() {
            slug.push_str("answer");
        }
        format!("{slug}.{}", format.as_str())
    }
}

fn core_format(format: ExportFormat) -> Format {
    match format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Xlsx => Format::Xlsx,
        ExportFormat::Png => Format::Png,
        ExportFormat::Svg => Format::Svg,
        ExportFormat::Html => Format::Html,
    }
}

/// What the answer can be exported as (core's check), before a dialog opens.
pub fn check(shown: Option<&Shown>, format: ExportFormat) -> Result<Shown, AppError> {
    let shown = shown.ok_or(AppError::NoAnswer)?;
    export::check(&shown.report(), core_format(format)).map_err(|e| match e {
        export::ExportError::NoChart => AppError::NoChart,
        other => AppError::Export(other),
    })?;
    Ok(shown.clone())
}

/// The save dialog, modal to `window`, suggesting a file name and filtering by format.
pub fn save_dialog<R: Runtime>(
    window: &WebviewWindow<R>,
    shown: &Shown,
    format: ExportFormat,
) -> FileDialogBuilder<R> {
    window
        .dialog()
        .file()
        .set_parent(window)
        .set_title("Export")
        .set_file_name(shown.file_name(format))
        .add_filter(format.label(), &[format.as_str()])
}

/// Shows the dialog (blocking: call it off the main thread), or uses [`EXPORT_DIR_ENV`], and
/// writes the file; `None` when the person cancels.
pub fn choose_and_write<R: Runtime>(
    dialog: FileDialogBuilder<R>,
    shown: &Shown,
    format: ExportFormat,
) -> Result<Option<PathBuf>, AppError> {
    let path = match std::env::var_os(EXPORT_DIR_ENV) {
        Some(dir) => PathBuf::from(dir).join(shown.file_name(format)),
        None => {
            let Some(chosen) = dialog.blocking_save_file() else {
                return Ok(None);
            };
            chosen.into_path().map_err(|_| AppError::NotAFile)?
        }
    };
    let path = with_extension(path, format);
    export::write(&shown.report(), &path).map_err(AppError::Export)?;
    tracing::info!(path = %path.display(), format = format.as_str(), "answer exported");
    Ok(Some(path))
}

/// GTK's dialog does not add the filter's extension to a typed name; do it so the file opens
/// (and so its format is the one chosen).
fn with_extension(mut path: PathBuf, format: ExportFormat) -> PathBuf {
    let has = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| Format::of_extension(e).is_some());
    if !has {
        let name = path
            .file_name()
            .map(|n| format!("{}.{}", n.to_string_lossy(), format.as_str()))
            .unwrap_or_else(|| format!("answer.{}", format.as_str()));
        path.set_file_name(name);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(title: Option<&str>) -> Shown {
        let mut answer = crate::testing::sample_answer("revenue by region last month");
        match title {
            Some(t) => {
                if let Some(c) = answer.chart.as_mut() {
                    c.title = t.into();
                }
            }
            None => answer.chart = None,
        }
        Shown {
            answer,
            source: "sample.sqlite".to_string(),
            at: Utc::now(),
        }
    }

    #[test]
    fn file_names_come_from_the_title_or_the_question() {
        assert_eq!(
            shown(Some("Revenue by region")).file_name(ExportFormat::Png),
            "revenue-by-region.png"
        );
        assert_eq!(
            shown(Some("Top 5 products (2026)")).file_name(ExportFormat::Xlsx),
            "top-5-products-2026.xlsx"
        );
        assert_eq!(
            shown(None).file_name(ExportFormat::Csv),
            "revenue-by-region-last-month.csv"
        );
    }

    #[test]
    fn a_typed_name_without_a_known_extension_gets_one() {
        assert_eq!(
            with_extension("/tmp/q3".into(), ExportFormat::Png),
            PathBuf::from("/tmp/q3.png")
        );
        assert_eq!(
            with_extension("/tmp/q3.svg".into(), ExportFormat::Png),
            PathBuf::from("/tmp/q3.svg"),
            "a chosen extension is kept"
        );
        assert_eq!(
            with_extension("/tmp/report.v2".into(), ExportFormat::Csv),
            PathBuf::from("/tmp/report.v2.csv")
        );
    }

    #[test]
    fn a_chart_export_needs_a_chart() {
        let no_chart = shown(None);
        assert!(matches!(
            check(Some(&no_chart), ExportFormat::Png),
            Err(AppError::NoChart)
        ));
        assert!(check(Some(&no_chart), ExportFormat::Csv).is_ok());
        assert!(matches!(
            check(None, ExportFormat::Html),
            Err(AppError::NoAnswer)
        ));
    }
}
