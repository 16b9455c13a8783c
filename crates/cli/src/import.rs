//! `plainsight import`: a CSV or Excel file into the workspace database, with progress on
//! stderr and a summary (plain or JSON) on stdout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use plainsight_core::datadir;
use plainsight_core::import::{import_file, ColumnType, ImportOptions};

/// `plainsight import …`.
pub(crate) fn import(
    file: &Path,
    table: Option<String>,
    sheet: Option<String>,
    replace: bool,
    types: Vec<(String, ColumnType)>,
    workspace: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let workspace = match workspace {
        Some(w) => w,
        None => datadir::workspace_db_path(&datadir::data_dir()?),
    };
    let options = ImportOptions {
        table,
        sheet,
        replace,
        types,
    };
    let mut last = std::time::Instant::now();
    let summary = import_file(&workspace, file, &options, &mut |p| {
        if last.elapsed() > Duration::from_millis(500) {
            eprintln!("imported {} of {} rows", p.done, p.total);
            last = std::time::Instant::now();
        }
        true
    })?;
    if json {
        let columns: Vec<_> = summary
            .columns
            .iter()
            .map(|c| serde_json::json!({"name": c.name, "type": c.ty.sql()}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"table": summary.table, "rows_imported": summary.rows_imported, "rows_skipped": summary.rows_skipped,
                "skipped": summary.skipped, "columns": columns, "warnings": summary.warnings})
        );
    } else {
        println!(
            "Imported {} rows into \"{}\" ({} skipped).",
            summary.rows_imported, summary.table, summary.rows_skipped
        );
        for reason in summary.skipped.iter().chain(&summary.warnings) {
            println!("  {reason}");
        }
    }
    Ok(())
}
