//! CSV and Excel import into the workspace database (where questions about imported data run).
//!
//! Two streaming passes over the file: the first infers each column's type from every value
//! (so a date order or a stray text cell late in the file is seen), the second converts and
//! inserts. Memory stays bounded by one row. The whole import is one transaction: a failure or
//! a cancel leaves the workspace exactly as it was.

mod infer;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use rusqlite::Connection;

use infer::{convert, ColumnStats};
pub use infer::{ColumnType, DateOrder};

use crate::schema::quote_ident;

/// How many skipped-row reasons the summary lists (the count is always exact).
const MAX_REASONS: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Table name; default: sanitised from the file (and sheet) name.
    pub table: Option<String>,
    /// Excel sheet; default: the first.
    pub sheet: Option<String>,
    /// Replace an existing table of the same name (otherwise that is an error).
    pub replace: bool,
    /// Column types chosen by the person, by column name, overriding what was inferred.
    pub types: Vec<(String, ColumnType)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedColumn {
    pub name: String,
    pub ty: ColumnType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    pub table: String,
    pub rows_imported: u64,
    pub rows_skipped: u64,
    /// Why rows were skipped (the first few).
    pub skipped: Vec<String>,
    pub columns: Vec<ImportedColumn>,
    pub warnings: Vec<String>,
}

/// Progress of the insert pass: rows done of the rows counted in the first pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is empty; there is nothing to import")]
    Empty(String),
    #[error(
        "{0} does not look like a CSV file (it contains binary data); export it from your spreadsheet as CSV or open the original .xlsx"
    )]
    Binary(String),
    #[error("{path} could not be read as CSV near line {line}")]
    Csv {
        path: String,
        line: u64,
        #[source]
        source: csv::Error,
    },
    #[error("{path} could not be opened as a spreadsheet")]
    Excel {
        path: String,
        #[source]
        source: calamine::Error,
    },
    #[error("{path} has no sheet named \"{sheet}\" (it has: {available})")]
    NoSheet { path: String, sheet: String, available: String },
    #[error("{0} files cannot be imported; use CSV, XLSX, XLS or ODS")]
    Unsupported(String),
    #[error("a table named \"{0}\" already exists; choose another name or replace it")]
    TableExists(String),
    #[error("the import was cancelled; nothing was changed")]
    Cancelled,
    #[error("the workspace database could not be written")]
    Workspace(#[from] rusqlite::Error),
}

/// A sanitised table name: lowercase letters, digits and underscores, not starting with a digit.
pub fn table_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "imported".into(),
        Some(c) if c.is_ascii_digit() => format!("t_{out}"),
        Some(_) => out,
    }
}

/// Rows of text cells, read twice (infer, then insert).
trait RowSource {
    /// Reads the next row into `row` (reusing its strings' memory); `false` at the end.
    fn next_row(&mut self, row: &mut Vec<String>) -> Result<bool, ImportError>;
    /// Line or row number of the last row returned (1-based, for messages).
    fn line(&self) -> u64;
    /// True when some text was converted from Windows-1252.
    fn converted_encoding(&self) -> bool {
        false
    }
}

struct CsvRows {
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
    path: String,
    line: u64,
    converted_encoding: bool,
}

impl CsvRows {
    fn open(path: &Path) -> Result<Self, ImportError> {
        let display = path.display().to_string();
        let read_err = |source| ImportError::Read { path: display.clone(), source };
        let mut head = Vec::with_capacity(8192);
        File::open(path).map_err(read_err)?.take(8192).read_to_end(&mut head).map_err(read_err)?;
        if head.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::Empty(display));
        }
        if head.contains(&0) {
            return Err(ImportError::Binary(display));
        }
        // The delimiter is whichever of , ; tab appears most in the first line.
        let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = [b',', b';', b'\t'].into_iter().max_by_key(|d| first_line.iter().filter(|b| *b == d).count()).unwrap_or(b',');
        let file = File::open(path).map_err(read_err)?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        Ok(Self { reader, record: csv::ByteRecord::new(), path: display, line: 0, converted_encoding: false })
    }
}

impl RowSource for CsvRows {
    fn next_row(&mut self, row: &mut Vec<String>) -> Result<bool, ImportError> {
        let more = self.reader.read_byte_record(&mut self.record).map_err(|source| ImportError::Csv {
            path: self.path.clone(),
            line: self.line + 1,
            source,
        })?;
        if !more {
            return Ok(false);
        }
        self.line = self.record.position().map_or(self.line + 1, csv::Position::line);
        row.resize_with(self.record.len(), String::new);
        for (cell, field) in row.iter_mut().zip(&self.record) {
            cell.clear();
            match std::str::from_utf8(field) {
                Ok(s) => cell.push_str(s.strip_prefix('\u{feff}').unwrap_or(s)),
                Err(_) => {
                    // Spreadsheets on Windows export Windows-1252 (a superset of Latin-1).
                    self.converted_encoding = true;
                    cell.push_str(&encoding_rs::WINDOWS_1252.decode_without_bom_handling(field).0);
                }
            }
        }
        Ok(true)
    }

    fn line(&self) -> u64 {
        self.line
    }

    fn converted_encoding(&self) -> bool {
        self.converted_encoding
    }
}

struct SheetRows {
    rows: Vec<Vec<String>>,
    next: usize,
}

impl SheetRows {
    fn open(path: &Path, sheet: Option<&str>) -> Result<(Self, String), ImportError> {
        use calamine::{open_workbook_auto, Data, Reader};
        let display = path.display().to_string();
        let mut book = open_workbook_auto(path).map_err(|source| ImportError::Excel { path: display.clone(), source })?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) => names.iter().find(|n| n.eq_ignore_ascii_case(s)).cloned().ok_or_else(|| ImportError::NoSheet {
                path: display.clone(),
                sheet: s.to_string(),
                available: names.join(", "),
            })?,
            None => names.first().cloned().ok_or_else(|| ImportError::Empty(display.clone()))?,
        };
        let range = book.worksheet_range(&name).map_err(|source| ImportError::Excel { path: display.clone(), source })?;
        let cell = |d: &Data| -> String {
            match d {
                Data::Empty | Data::Error(_) => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(dt) => dt.as_datetime().map_or_else(String::new, |d| {
                    if d.time() == chrono::NaiveTime::MIN {
                        d.format("%Y-%m-%d").to_string()
                    } else {
                        d.format("%Y-%m-%d %H:%M:%S").to_string()
                    }
                }),
            }
        };
        let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell).collect()).collect();
        if rows.iter().all(|r| r.iter().all(String::is_empty)) {
            return Err(ImportError::Empty(format!("{display} (sheet {name})")));
        }
        Ok((Self { rows, next: 0 }, name))
    }
}

impl RowSource for SheetRows {
    fn next_row(&mut self, row: &mut Vec<String>) -> Result<bool, ImportError> {
        self.next += 1;
        // Each pass opens the sheet afresh, so a row is handed out once: move it, don't copy it.
        match self.rows.get_mut(self.next - 1) {
            Some(next) => {
                *row = std::mem::take(next);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn line(&self) -> u64 {
        self.next as u64
    }
}

/// True when a first row reads as column names rather than data.
fn looks_like_header(row: &[String]) -> bool {
    !row.is_empty()
        && row.iter().all(|c| {
            let c = c.trim();
            !c.is_empty() && infer::parse_number(c).is_none() && infer::parse_date(c, DateOrder::MonthFirst).is_none()
        })
}

/// Column names from a header row: trimmed, blanks named `column_N`, duplicates numbered.
fn column_names(header: Option<&[String]>, width: usize) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(width);
    for i in 0..width {
        let base = header
            .and_then(|h| h.get(i))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("column_{}", i + 1));
        let mut name = base.clone();
        let mut n = 2;
        while names.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Imports `file` into the workspace database at `workspace` (created if missing).
/// `on_progress` is called every few thousand rows; returning `false` cancels.
pub fn import_file(
    workspace: &Path,
    file: &Path,
    opts: &ImportOptions,
    on_progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<ImportSummary, ImportError> {
    let ext = file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("imported").to_string();
    if !file.is_file() {
        return Err(ImportError::Read { path: file.display().to_string(), source: std::io::Error::from(std::io::ErrorKind::NotFound) });
    }
    let open = || -> Result<(Box<dyn RowSource>, String), ImportError> {
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Ok((Box::new(CsvRows::open(file)?), stem.clone())),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => {
                let (rows, sheet) = SheetRows::open(file, opts.sheet.as_deref())?;
                let name = if opts.sheet.is_some() { format!("{stem}_{sheet}") } else { stem.clone() };
                Ok((Box::new(rows), name))
            }
            other => Err(ImportError::Unsupported(if other.is_empty() { "Extension-less".into() } else { format!(".{other}") })),
        }
    };
    let (mut rows, default_name) = open()?;
    let table = opts.table.as_deref().map_or_else(|| table_name(&default_name), table_name);

    let mut conn = Connection::open(workspace)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    // Safe with WAL (no corruption on power loss); the import is one transaction anyway.
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let exists: bool =
        conn.query_row("SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE)", [&table], |r| r.get(0))?;
    if exists && !opts.replace {
        return Err(ImportError::TableExists(table));
    }

    // Pass 1: header, width and every column's type.
    let mut first = Vec::new();
    if !rows.next_row(&mut first)? {
        return Err(ImportError::Empty(file.display().to_string()));
    }
    let header = looks_like_header(&first);
    let width = first.len();
    let mut stats = vec![ColumnStats::default(); width];
    let mut total = 0u64;
    if !header {
        first.iter().zip(&mut stats).for_each(|(v, s)| s.observe(v));
        total += 1;
    }
    let mut row = Vec::with_capacity(width);
    while rows.next_row(&mut row)? {
        // Rows of the wrong width are skipped (and reported) in pass 2.
        if row.len() == width {
            row.iter().zip(&mut stats).for_each(|(v, s)| s.observe(v));
            total += 1;
        }
    }
    let names = column_names(header.then_some(first.as_slice()), width);
    let mut warnings = Vec::new();
    let mut columns = Vec::with_capacity(width);
    let mut orders = Vec::with_capacity(width);
    for (name, s) in names.iter().zip(&stats) {
        let (inferred, order, warning) = s.decide(name);
        let chosen = opts.types.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, t)| *t);
        let ty = chosen.unwrap_or(inferred);
        if chosen.is_some_and(|t| t != inferred) {
            warnings.push(format!("\"{name}\" was imported as {} as you chose (it looked like {}).", ty.as_str(), inferred.as_str()));
        }
        columns.push(ImportedColumn { name: name.clone(), ty });
        orders.push(order);
        warnings.extend(warning);
    }
    for (name, _) in opts.types.iter().filter(|(n, _)| !names.iter().any(|x| x.eq_ignore_ascii_case(n))) {
        warnings.push(format!("There is no column \"{name}\", so the type chosen for it was not used."));
    }
    if !header {
        warnings.push("The first row looked like data, so columns were named column_1, column_2, …".into());
    }

    // Pass 2: one transaction; dropping it on any error or cancel rolls everything back.
    let tx = conn.transaction()?;
    if exists {
        tx.execute_batch(&format!("DROP TABLE {}", quote_ident(&table)))?;
    }
    let defs: Vec<String> = columns.iter().map(|c| format!("{} {}", quote_ident(&c.name), c.ty.sql())).collect();
    tx.execute_batch(&format!("CREATE TABLE {} ({})", quote_ident(&table), defs.join(", ")))?;
    let (mut rows, _) = open()?;
    if header {
        rows.next_row(&mut row)?;
    }
    let mut imported = 0u64;
    let mut skipped = 0u64;
    let mut reasons = Vec::new();
    {
        let placeholders = vec!["?"; width].join(", ");
        let mut insert = tx.prepare(&format!("INSERT INTO {} VALUES ({placeholders})", quote_ident(&table)))?;
        while rows.next_row(&mut row)? {
            if row.len() != width {
                if row.len() == 1 && row[0].trim().is_empty() {
                    continue; // blank line
                }
                skipped += 1;
                if reasons.len() < MAX_REASONS {
                    reasons.push(format!("line {} has {} values, expected {width}", rows.line(), row.len()));
                }
                continue;
            }
            for (i, ((v, c), o)) in row.iter().zip(&columns).zip(&orders).enumerate() {
                insert.raw_bind_parameter(i + 1, convert(v, c.ty, *o))?;
            }
            insert.raw_execute()?;
            imported += 1;
            if imported.is_multiple_of(5_000) && !on_progress(Progress { done: imported, total }) {
                return Err(ImportError::Cancelled);
            }
        }
    }
    if !on_progress(Progress { done: imported, total }) {
        return Err(ImportError::Cancelled);
    }
    tx.commit()?;
    if rows.converted_encoding() {
        warnings.push("Some text was not UTF-8 and was read as Windows-1252.".into());
    }
    Ok(ImportSummary { table, rows_imported: imported, rows_skipped: skipped, skipped: reasons, columns, warnings })
}

#[cfg(test)]
mod tests;
