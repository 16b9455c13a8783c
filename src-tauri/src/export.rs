//! "Export chart…": the last answer's chart drawn again at export size, saved where the person
//! chooses in the native save dialog.

use std::path::PathBuf;

use plainsight_core::chart::{self, ChartSpec};
use plainsight_core::Answer;
use plainsight_ipc::ExportFormat;
use serde_json::Value;
use tauri::{Runtime, WebviewWindow};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder};

use crate::error::AppError;

/// A chart and the data it is drawn from, copied out of the last answer.
pub struct Chart {
    spec: ChartSpec,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Chart {
    pub fn of(answer: Option<&Answer>) -> Result<Self, AppError> {
        let answer = answer.ok_or(AppError::NoChart)?;
        let spec = answer.chart.clone().ok_or(AppError::NoChart)?;
        Ok(Self {
            spec,
            columns: answer.columns.clone(),
            rows: answer.rows.clone(),
        })
    }

    fn render(&self, format: ExportFormat) -> Result<Vec<u8>, AppError> {
        Ok(match format {
            ExportFormat::Png => chart::render_png(
                &self.spec,
                &self.columns,
                &self.rows,
                chart::PNG_EXPORT_SIZE,
            )?,
            ExportFormat::Svg => chart::render_svg(
                &self.spec,
                &self.columns,
                &self.rows,
                chart::SVG_EXPORT_SIZE,
            )?
            .into_bytes(),
        })
    }

    /// A file name from the chart's title: "Revenue by region" → `revenue-by-region.png`.
    fn file_name(&self, format: ExportFormat) -> String {
        let mut slug = String::new();
        for word in self
            .spec
            .title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word.to_lowercase());
        }
        if slug.is_empty() {
            slug.push_str("chart");
        }
        format!("{slug}.{}", extension(format))
    }
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Png => "png",
        ExportFormat::Svg => "svg",
    }
}

/// The save dialog, modal to `window`, suggesting a file name and filtering by format.
pub fn save_dialog<R: Runtime>(
    window: &WebviewWindow<R>,
    chart: &Chart,
    format: ExportFormat,
) -> FileDialogBuilder<R> {
    let filter = match format {
        ExportFormat::Png => "PNG image",
        ExportFormat::Svg => "SVG image",
    };
    window
        .dialog()
        .file()
        .set_parent(window)
        .set_title("Export chart")
        .set_file_name(chart.file_name(format))
        .add_filter(filter, &[extension(format)])
}

/// Shows the dialog (blocking: call it off the main thread) and writes the file; `None` when the
/// person cancels.
pub fn choose_and_write<R: Runtime>(
    dialog: FileDialogBuilder<R>,
    chart: &Chart,
    format: ExportFormat,
) -> Result<Option<PathBuf>, AppError> {
    let Some(chosen) = dialog.blocking_save_file() else {
        return Ok(None);
    };
    let path = with_extension(chosen.into_path().map_err(|_| AppError::NotAFile)?, format);
    let bytes = chart.render(format)?;
    std::fs::write(&path, bytes).map_err(|source| AppError::Write {
        path: path.clone(),
        source,
    })?;
    tracing::info!(path = %path.display(), "chart exported");
    Ok(Some(path))
}

/// GTK's dialog does not add the filter's extension to a typed name; do it so the file opens.
fn with_extension(mut path: PathBuf, format: ExportFormat) -> PathBuf {
    if path.extension().is_none() {
        path.set_extension(extension(format));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use plainsight_core::chart::ChartKind;
    use serde_json::json;

    fn chart(title: &str) -> Chart {
        let spec = ChartSpec {
            kind: ChartKind::Bar,
            x: "region".into(),
            y: "revenue".into(),
            title: title.into(),
        };
        Chart {
            spec,
            columns: vec!["region".into(), "revenue".into()],
            rows: vec![vec![json!("North"), json!(12.5)]],
        }
    }

    #[test]
    fn file_names_come_from_the_title() {
        let cases = [
            (
                "Revenue by region",
                ExportFormat::Png,
                "revenue-by-region.png",
            ),
            (
                "Top 5 products (2026)",
                ExportFormat::Svg,
                "top-5-products-2026.svg",
            ),
            ("", ExportFormat::Png, "chart.png"),
        ];
        for (title, format, expected) in cases {
            assert_eq!(chart(title).file_name(format), expected, "title {title:?}");
        }
    }

    #[test]
    fn a_typed_name_without_extension_gets_one() {
        assert_eq!(
            with_extension("/tmp/q3".into(), ExportFormat::Png),
            PathBuf::from("/tmp/q3.png")
        );
        assert_eq!(
            with_extension("/tmp/q3.svg".into(), ExportFormat::Png),
            PathBuf::from("/tmp/q3.svg"),
            "a chosen extension is kept"
        );
    }

    #[test]
    fn both_formats_render() {
        let chart = chart("Revenue by region");
        assert!(chart
            .render(ExportFormat::Png)
            .expect("png")
            .starts_with(b"\x89PNG"));
        assert!(chart
            .render(ExportFormat::Svg)
            .expect("svg")
            .starts_with(b"<svg"));
    }
}
