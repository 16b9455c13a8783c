//! CSV and Excel import into the workspace database (where questions about imported data run).
//!
//! Two streaming passes over the file: the first infers each column's type from every value
//! (so a date order or a stray text cell late in the file is seen), the second converts and
//! inserts. Memory stays bounded by one row. The whole import is one transaction: a failure or
//! a cancel leaves the workspace exactly as it was.

mod infer;
mod text;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::Connection;

use infer::{convert, ColumnStats};
pub use infer::{ColumnType, DateOrder};
use text::CsvRows;

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
    NoSheet {
        path: String,
        sheet: String,
        available: String,
    },
    #[error("{0} files cannot be imported; use CSV, XLSX, XLS or ODS")]
    Unsupported(String),
    #[error("{path} has {columns} columns; a table can have at most {max}")]
    TooManyColumns {
        path: String,
        columns: usize,
        max: usize,
    },
    #[error("{path} is too large to import as a spreadsheet: {why}; save the sheet as CSV and import that")]
    SheetTooLarge { path: String, why: String },
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
trait RowSource: Send {
    /// Reads the next row into `row` (reusing its strings' memory); `false` at the end.
    fn next_row(&mut self, row: &mut Vec<String>) -> Result<bool, ImportError>;
    /// Line or row number of the last row returned (1-based, for messages).
    fn line(&self) -> u64;
    /// True when some text was converted from Windows-1252.
    fn converted_encoding(&self) -> bool {
        false
    }
}

/// Bounds on a spreadsheet read into memory (CSV streams instead): filled cells, the grid they
/// span (empty cells between them included) and the text they hold.
const MAX_SHEET_CELLS: usize = 10_000_000;
const MAX_SHEET_GRID: usize = 10_000_000;
const MAX_SHEET_TEXT_BYTES: usize = 256_000_000;

struct SheetRows {
    rows: Vec<Vec<String>>,
    next: usize,
}

impl SheetRows {
    fn open(path: &Path, sheet: Option<&str>) -> Result<(Self, String), ImportError> {
        use calamine::{open_workbook_auto, Data, Reader};
        let display = path.display().to_string();
        let mut book = open_workbook_auto(path).map_err(|source| ImportError::Excel {
            path: display.clone(),
            source,
        })?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(s))
                .cloned()
                .ok_or_else(|| ImportError::NoSheet {
                    path: display.clone(),
                    sheet: s.to_string(),
                    available: names.join(", "),
                })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| ImportError::Empty(display.clone()))?,
        };
        let cell = |d: &Data| -> String {
            match d {
                // Excel's #N/A reads as the no-value spelling it is (NULL, and counted).
                Data::Error(calamine::CellErrorType::NA) => "#N/A".into(),
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
        let rows: Vec<Vec<String>> = if let calamine::Sheets::Xlsx(xlsx) = &mut book {
            // Cells are streamed and their extent and text checked before a grid is allocated:
            // a 2 KB file with cells at A1 and XFD1048576, or one shared string repeated a
            // million times, must be refused, not allocated.
            let mut reader =
                xlsx.worksheet_cells_reader(&name)
                    .map_err(|e| ImportError::Excel {
                        path: display.clone(),
                        source: calamine::Error::Xlsx(e),
                    })?;
            let too_large = |why: String| ImportError::SheetTooLarge {
                path: display.clone(),
                why,
            };
            let mut cells: Vec<(u32, u32, String)> = Vec::new();
            let mut text_bytes = 0usize;
            while let Some(c) = reader.next_cell().map_err(|e| ImportError::Excel {
                path: display.clone(),
                source: calamine::Error::Xlsx(e),
            })? {
                let (r, col) = c.get_position();
                let value = cell(&Data::from(c.get_value().clone()));
                if value.is_empty() {
                    continue;
                }
                text_bytes += value.len();
                if text_bytes > MAX_SHEET_TEXT_BYTES {
                    return Err(too_large(format!(
                        "its cells hold more than {} MB of text",
                        MAX_SHEET_TEXT_BYTES / 1_000_000
                    )));
                }
                cells.push((r, col, value));
                if cells.len() > MAX_SHEET_CELLS {
                    return Err(too_large(format!(
                        "it has more than {MAX_SHEET_CELLS} filled cells"
                    )));
                }
            }
            let (r0, c0) = (
                cells.iter().map(|c| c.0).min().unwrap_or(0),
                cells.iter().map(|c| c.1).min().unwrap_or(0),
            );
            let (r1, c1) = (
                cells.iter().map(|c| c.0).max().unwrap_or(0),
                cells.iter().map(|c| c.1).max().unwrap_or(0),
            );
            let (height, width) = ((r1 - r0) as usize + 1, (c1 - c0) as usize + 1);
            if height.saturating_mul(width) > MAX_SHEET_GRID {
                return Err(too_large(format!(
                    "its filled cells span {height} rows by {width} columns"
                )));
            }
            let mut grid = vec![vec![String::new(); width]; height];
            for (r, col, value) in cells {
                grid[(r - r0) as usize][(col - c0) as usize] = value;
            }
            grid
        } else {
            let range = book
                .worksheet_range(&name)
                .map_err(|source| ImportError::Excel {
                    path: display.clone(),
                    source,
                })?;
            range.rows().map(|r| r.iter().map(cell).collect()).collect()
        };
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

/// How a first row reads: as column names, as data, or as names with some left blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstRow {
    Header,
    Data,
    /// No numbers or dates, some text, and some blank (or `NA`) cells: names if some column under
    /// the text holds numbers or dates, data otherwise.
    HeaderWithGaps,
}

fn first_row(row: &[String]) -> FirstRow {
    let (mut text, mut gaps) = (0, 0);
    for c in row.iter().map(|c| c.trim()) {
        if infer::is_missing(c) {
            gaps += 1;
        } else if infer::parse_number(c).is_some()
            || infer::parse_date(c, DateOrder::MonthFirst).is_some()
        {
            return FirstRow::Data;
        } else {
            text += 1;
        }
    }
    match (text, gaps) {
        (0, _) => FirstRow::Data,
        (_, 0) => FirstRow::Header,
        _ => FirstRow::HeaderWithGaps,
    }
}

/// Column names from a header row: trimmed, blanks named `column_N`, duplicates numbered
/// (`a`, `a_2`, `a_3`). SQLite names ignore ASCII case, so `A` after `a` is a duplicate too.
/// Linear: each name is looked up in sets, never compared with every earlier one.
fn column_names(header: Option<&[String]>, width: usize) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::with_capacity(width);
    // Per lower-cased base name, the next suffix to try.
    let mut next: HashMap<String, usize> = HashMap::new();
    (0..width)
        .map(|i| {
            let base = header
                .and_then(|h| h.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("column_{}", i + 1));
            let key = base.to_ascii_lowercase();
            if taken.insert(key.clone()) {
                return base;
            }
            let n = next.entry(key).or_insert(2);
            loop {
                let name = format!("{base}_{n}");
                *n += 1;
                if taken.insert(name.to_ascii_lowercase()) {
                    return name;
                }
            }
        })
        .collect()
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cells read as NULL because they spelled "no value" (`NA`, `N/A`, …): how many, which
/// spellings, in which columns.
#[derive(Debug, Default)]
struct NullTally {
    cells: u64,
    /// Spellings in the order first seen (at most [`Self::MAX_SPELLINGS`]).
    spellings: Vec<String>,
    more_spellings: bool,
    per_column: Vec<u64>,
}

impl NullTally {
    const MAX_SPELLINGS: usize = 8;

    fn new(width: usize) -> Self {
        Self {
            per_column: vec![0; width],
            ..Self::default()
        }
    }

    /// Counts `raw` when it is a no-value spelling; true if so.
    fn note(&mut self, column: usize, raw: &str) -> bool {
        let Some(token) = infer::null_token(raw) else {
            return false;
        };
        self.cells += 1;
        self.per_column[column] += 1;
        if !self.spellings.iter().any(|s| s == token) {
            if self.spellings.len() < Self::MAX_SPELLINGS {
                self.spellings.push(token.to_string());
            } else {
                self.more_spellings = true;
            }
        }
        true
    }

    /// "1,231 cells read as empty (NA, N/A) in \"Amount\" and \"Shipped\"."
    fn warning(&self, names: &[String]) -> Option<String> {
        if self.cells == 0 {
            return None;
        }
        let noun = if self.cells == 1 { "cell" } else { "cells" };
        let more = if self.more_spellings { ", …" } else { "" };
        let columns: Vec<String> = names
            .iter()
            .zip(&self.per_column)
            .filter(|(_, n)| **n > 0)
            .map(|(c, _)| format!("\"{c}\""))
            .collect();
        let place = match columns.as_slice() {
            [one] => one.clone(),
            [first @ .., last] if columns.len() <= 4 => format!("{} and {last}", first.join(", ")),
            _ => format!("{} columns", columns.len()),
        };
        Some(format!(
            "{} {noun} read as empty ({}{more}) in {place}.",
            thousands(self.cells),
            self.spellings.join(", ")
        ))
    }
}

/// Imports `file` into the workspace database at `workspace` (created if missing).
/// `on_progress` is called every few thousand rows; returning `false` cancels.
pub fn import_file(
    workspace: &Path,
    file: &Path,
    opts: &ImportOptions,
    on_progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<ImportSummary, ImportError> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported")
        .to_string();
    if !file.is_file() {
        return Err(ImportError::Read {
            path: file.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let open = || -> Result<(Box<dyn RowSource>, String), ImportError> {
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Ok((Box::new(CsvRows::open(file)?), stem.clone())),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => {
                let (rows, sheet) = SheetRows::open(file, opts.sheet.as_deref())?;
                let name = if opts.sheet.is_some() {
                    format!("{stem}_{sheet}")
                } else {
                    stem.clone()
                };
                Ok((Box::new(rows), name))
            }
            other => Err(ImportError::Unsupported(if other.is_empty() {
                "Extension-less".into()
            } else {
                format!(".{other}")
            })),
        }
    };
    let (mut rows, default_name) = open()?;
    let table = opts
        .table
        .as_deref()
        .map_or_else(|| table_name(&default_name), table_name);

    let mut conn = Connection::open(workspace)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    // Safe with WAL (no corruption on power loss); the import is one transaction anyway.
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE)",
        [&table],
        |r| r.get(0),
    )?;
    if exists && !opts.replace {
        return Err(ImportError::TableExists(table));
    }

    // Pass 1: header, width and every column's type.
    let mut first = Vec::new();
    if !rows.next_row(&mut first)? {
        return Err(ImportError::Empty(file.display().to_string()));
    }
    let width = first.len();
    let max = usize::try_from(conn.limit(rusqlite::limits::Limit::SQLITE_LIMIT_COLUMN)?)
        .unwrap_or(usize::MAX);
    if width > max {
        return Err(ImportError::TooManyColumns {
            path: file.display().to_string(),
            columns: width,
            max,
        });
    }
    let mut stats = vec![ColumnStats::default(); width];
    let mut total = 0u64;
    let mut row = Vec::with_capacity(width);
    while rows.next_row(&mut row)? {
        // Rows of the wrong width are skipped (and reported) in pass 2.
        if row.len() == width {
            row.iter().zip(&mut stats).for_each(|(v, s)| s.observe(v));
            total += 1;
        }
    }
    let header = match first_row(&first) {
        FirstRow::Header => true,
        FirstRow::Data => false,
        // Text over a column of numbers or dates is its name.
        FirstRow::HeaderWithGaps => first
            .iter()
            .zip(&stats)
            .any(|(c, s)| !infer::is_missing(c) && s.typed()),
    };
    if !header {
        first.iter().zip(&mut stats).for_each(|(v, s)| s.observe(v));
        total += 1;
    }
    let names = column_names(header.then_some(first.as_slice()), width);
    let mut warnings = Vec::new();
    let mut columns = Vec::with_capacity(width);
    let mut orders = Vec::with_capacity(width);
    for (name, s) in names.iter().zip(&stats) {
        let (inferred, order, column_warnings) = s.decide(name);
        let chosen = opts
            .types
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| *t);
        let ty = chosen.unwrap_or(inferred);
        if chosen.is_some_and(|t| t != inferred) {
            warnings.push(format!(
                "\"{name}\" was imported as {} as you chose (it looked like {}).",
                ty.as_str(),
                inferred.as_str()
            ));
        }
        columns.push(ImportedColumn {
            name: name.clone(),
            ty,
        });
        orders.push(order);
        warnings.extend(column_warnings);
    }
    for (name, _) in opts
        .types
        .iter()
        .filter(|(n, _)| !names.iter().any(|x| x.eq_ignore_ascii_case(n)))
    {
        warnings.push(format!(
            "There is no column \"{name}\", so the type chosen for it was not used."
        ));
    }
    if !header {
        warnings.push(
            "The first row looked like data, so columns were named column_1, column_2, …".into(),
        );
    }

    // Pass 2: one transaction; dropping it on any error or cancel rolls everything back.
    let tx = conn.transaction()?;
    if exists {
        tx.execute_batch(&format!("DROP TABLE {}", quote_ident(&table)))?;
    }
    let defs: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), c.ty.sql()))
        .collect();
    tx.execute_batch(&format!(
        "CREATE TABLE {} ({})",
        quote_ident(&table),
        defs.join(", ")
    ))?;
    let (mut rows, _) = open()?;
    if header {
        rows.next_row(&mut row)?;
    }
    // Reading and converting run on a second thread while this one inserts (each is about half
    // of the work), handing over batches of rows through a short queue, so memory stays bounded.
    let placeholders = vec!["?"; width].join(", ");
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {} VALUES ({placeholders})",
        quote_ident(&table)
    ))?;
    let mut imported = 0u64;
    let read = std::thread::scope(|scope| -> Result<Read, ImportError> {
        let (send, batches) = std::sync::mpsc::sync_channel::<Result<Batch, ImportError>>(2);
        let reader = scope.spawn(|| read_batches(rows.as_mut(), width, &columns, &orders, send));
        for batch in batches {
            let batch = batch?;
            for cells in batch.cells.chunks(width) {
                for (i, cell) in cells.iter().enumerate() {
                    let bound = match cell {
                        Owned::Null => insert.raw_bind_parameter(i + 1, rusqlite::types::Null),
                        Owned::Integer(v) => insert.raw_bind_parameter(i + 1, v),
                        Owned::Real(v) => insert.raw_bind_parameter(i + 1, v),
                        Owned::Text(a, b) => insert.raw_bind_parameter(i + 1, &batch.text[*a..*b]),
                    };
                    bound?;
                }
                insert.raw_execute()?;
                imported += 1;
                if imported.is_multiple_of(5_000)
                    && !on_progress(Progress {
                        done: imported,
                        total,
                    })
                {
                    // Dropping the queue's end stops the reader at its next batch.
                    return Err(ImportError::Cancelled);
                }
            }
        }
        reader.join().map_err(|_| ImportError::Read {
            path: file.display().to_string(),
            source: std::io::Error::other("the reading thread failed"),
        })
    })?;
    drop(insert);
    let Read {
        skipped,
        reasons,
        nulls,
    } = read;
    if !on_progress(Progress {
        done: imported,
        total,
    }) {
        return Err(ImportError::Cancelled);
    }
    tx.commit()?;
    warnings.extend(nulls.warning(&names));
    if rows.converted_encoding() {
        warnings.push("Some text was not UTF-8 and was read as Windows-1252.".into());
    }
    Ok(ImportSummary {
        table,
        rows_imported: imported,
        rows_skipped: skipped,
        skipped: reasons,
        columns,
        warnings,
    })
}

/// A cell converted to its column's type, its text kept in its batch's one buffer.
enum Owned {
    Null,
    Integer(i64),
    Real(f64),
    Text(usize, usize),
}

/// Rows handed from the reading thread to the inserting one: `width` cells a row.
struct Batch {
    cells: Vec<Owned>,
    text: String,
}

/// Rows per [`Batch`].
const BATCH_ROWS: usize = 512;

/// What the reading thread found besides the rows.
struct Read {
    skipped: u64,
    reasons: Vec<String>,
    nulls: NullTally,
}

/// Pass 2's reading half: rows of the right width converted to their columns' types, in
/// batches; rows of another width skipped and the first [`MAX_REASONS`] of them described. Stops
/// early when the inserting side has gone (an error or Cancel).
fn read_batches(
    rows: &mut dyn RowSource,
    width: usize,
    columns: &[ImportedColumn],
    orders: &[infer::DateOrder],
    send: std::sync::mpsc::SyncSender<Result<Batch, ImportError>>,
) -> Read {
    let mut read = Read {
        skipped: 0,
        reasons: Vec::new(),
        nulls: NullTally::new(width),
    };
    let mut row = Vec::with_capacity(width);
    let fresh = || Batch {
        cells: Vec::with_capacity(BATCH_ROWS * width),
        text: String::new(),
    };
    let mut batch = fresh();
    loop {
        match rows.next_row(&mut row) {
            Err(e) => {
                let _ = send.send(Err(e));
                return read;
            }
            Ok(false) => break,
            Ok(true) => {}
        }
        if row.len() != width {
            if row.len() == 1 && row[0].trim().is_empty() {
                continue; // blank line
            }
            read.skipped += 1;
            if read.reasons.len() < MAX_REASONS {
                read.reasons.push(format!(
                    "line {} has {} values, expected {width}",
                    rows.line(),
                    row.len()
                ));
            }
            continue;
        }
        for (i, ((v, c), o)) in row.iter().zip(columns).zip(orders).enumerate() {
            let cell = if read.nulls.note(i, v) {
                Owned::Null
            } else {
                match convert(v, c.ty, *o) {
                    infer::Cell::Null => Owned::Null,
                    infer::Cell::Integer(i) => Owned::Integer(i),
                    infer::Cell::Real(f) => Owned::Real(f),
                    infer::Cell::Text(t) => text_cell(&mut batch.text, t),
                    infer::Cell::Owned(t) => text_cell(&mut batch.text, &t),
                }
            };
            batch.cells.push(cell);
        }
        if batch.cells.len() >= BATCH_ROWS * width
            && send
                .send(Ok(std::mem::replace(&mut batch, fresh())))
                .is_err()
        {
            return read;
        }
    }
    if !batch.cells.is_empty() {
        let _ = send.send(Ok(batch));
    }
    // The queue's end: the inserting side's loop ends once it has the last batch.
    drop(send);
    read
}

fn text_cell(buffer: &mut String, text: &str) -> Owned {
    let start = buffer.len();
    buffer.push_str(text);
    Owned::Text(start, buffer.len())
}

#[cfg(test)]
mod tests;
