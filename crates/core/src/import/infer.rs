//! Reading spreadsheet text as typed values: integers, reals (currency `$1,234.50`, percentages
//! `12.5%`, accounting negatives `(40.00)`), dates (ISO, `YYYY/MM/DD`, and `DD/MM/YYYY` vs
//! `MM/DD/YYYY` decided per column), date-times, and text. Empty cells and the spellings of "no
//! value" that exports write (`NA`, `N/A`, `#N/A`, `NULL`, `None`, `NaN`, `-`) are NULL.
//!
//! Dates are stored as ISO text, `YYYY-MM-DD`, and date-times as `YYYY-MM-DD HH:MM:SS` (with
//! `.fff` when the seconds have a fraction), so stored text sorts in time order. A date-time with a
//! time zone (`2024-03-01T23:30:00+02:00`, `…Z`) is converted to UTC and stored without the zone;
//! one without a zone is stored as written.

mod date;

use chrono::NaiveTime;
use rusqlite::types::Value;

use date::is_iso_date;
pub use date::{parse_date, parse_date_zoned, DateOrder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Real,
    Date,
    DateTime,
    Text,
}

impl ColumnType {
    /// Every type, in the order a person chooses from.
    pub const ALL: [Self; 5] = [
        Self::Integer,
        Self::Real,
        Self::Date,
        Self::DateTime,
        Self::Text,
    ];

    /// Lower-case name, as the UI and `--type` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Text => "text",
        }
    }

    /// Parses [`Self::as_str`] (any case; `number` means real).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "number" {
            return Some(Self::Real);
        }
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The SQLite declared type (DATE/DATETIME keep ISO text and tell readers what it is).
    pub fn sql(self) -> &'static str {
        match self {
            Self::Integer => "INTEGER",
            Self::Real => "REAL",
            Self::Date => "DATE",
            Self::DateTime => "DATETIME",
            Self::Text => "TEXT",
        }
    }
}

/// `str::trim`, with a fast path for the usual cell whose first and last bytes are visible ASCII
/// (`str::trim` checks Unicode whitespace at both ends every time, and each cell is trimmed by
/// several of the functions below: it was the import's largest single cost).
#[inline]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// If `raw` (trimmed) is a spelling of "no value" — `NA`, `N/A`, `NULL`, `None`, `NaN` in any case,
/// or exactly `#N/A` or `-` — that spelling. Whole cells only: `NAB`, `n/a%` or `--` are values.
pub fn null_token(raw: &str) -> Option<&str> {
    let s = trim(raw);
    // Most cells are longer than any token: one length check and they are done.
    if s.is_empty() || s.len() > 4 {
        return None;
    }
    let folded = ["na", "n/a", "null", "none", "nan"]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t));
    (folded || s == "#N/A" || s == "-").then_some(s)
}

/// True for a cell that holds no value: empty, blank, or a [`null_token`].
pub fn is_missing(raw: &str) -> bool {
    let s = trim(raw);
    s.is_empty() || null_token(s).is_some()
}

/// Parses a number as a spreadsheet shows it; `None` when it is not one.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s = trim(raw);
    // Fast path for plain numbers ("42", "-3.5"): no allocation. Millions of cells take it.
    let b = s.as_bytes();
    if !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
    {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let whole = digits.split('.').next().unwrap_or("");
        if whole.len() > 1 && whole.starts_with('0') {
            return None;
        }
        return if digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && !digits.ends_with('.')
        {
            s.parse().ok()
        } else {
            None
        };
    }
    parse_formatted(s)
}

/// The slow path: currency symbols, thousands separators, percentages, accounting negatives.
fn parse_formatted(raw: &str) -> Option<f64> {
    let mut s = raw;
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim_start();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim_start();
    }
    let (s, percent) = match s.strip_suffix('%') {
        Some(x) => (x.trim_end(), true),
        None => (s, false),
    };
    let s = s
        .trim_start_matches(['$', '€', '£', '¥'])
        .trim_end_matches(['$', '€', '£', '¥'])
        .trim();
    // "$-5" is negative too, but only one minus sign is allowed.
    let s = match s.strip_prefix('-') {
        Some(rest) if !negative => {
            negative = true;
            rest
        }
        Some(_) => return None,
        None => s,
    };
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    // Thousands separators must group digits by three: "1,234.50" yes, "1,23" no.
    let (whole, frac) = s.split_once('.').map_or((s, None), |(w, f)| (w, Some(f)));
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    // "02139" is a code (zip, SKU), not a number.
    if whole.len() > 1 && whole.starts_with('0') {
        return None;
    }
    // Digits without separators, into a stack buffer: this runs for every formatted cell.
    let mut buf = [0u8; 48];
    let mut len = 0;
    let mut push = |b: u8| -> Option<()> {
        *buf.get_mut(len)? = b;
        len += 1;
        Some(())
    };
    for (i, group) in whole.split(',').enumerate() {
        let ok_len = match i {
            0 if whole.contains(',') => (1..=3).contains(&group.len()),
            0 => true,
            _ => group.len() == 3,
        };
        if !ok_len || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        group.bytes().try_for_each(&mut push)?;
    }
    if let Some(f) = frac {
        push(b'.')?;
        f.bytes().try_for_each(&mut push)?;
    }
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let mut v: f64 = text.parse().ok()?;
    if percent {
        v /= 100.0;
    }
    Some(if negative { -v } else { v })
}

/// Whole numbers without a leading zero ("00123" is a code, not a number) and without a
/// fraction or percent sign.
pub fn parse_integer(raw: &str) -> Option<i64> {
    let s = trim(raw);
    if let Ok(v) = s.parse::<i64>() {
        // Plain digits: valid unless a leading zero makes it a code ("00123").
        let digits = s.trim_start_matches(['-', '+']);
        return (digits.len() == 1 || !digits.starts_with('0')).then_some(v);
    }
    if s.contains(['.', '%']) {
        return None;
    }
    let digits = s.trim_start_matches(['-', '+', '(', '$', '€', '£']);
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    let v = parse_number(s)?;
    (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}

/// What a column's values have looked like so far.
#[derive(Debug, Clone)]
pub struct ColumnStats {
    values: u64,
    integer: bool,
    number: bool,
    day_first: bool,
    month_first: bool,
    slashed: bool,
    has_time: bool,
    /// Some date-time named a time zone (and was converted to UTC).
    zoned: bool,
}

impl Default for ColumnStats {
    fn default() -> Self {
        Self {
            values: 0,
            integer: true,
            number: true,
            day_first: true,
            month_first: true,
            slashed: false,
            has_time: false,
            zoned: false,
        }
    }
}

impl ColumnStats {
    pub fn observe(&mut self, raw: &str) {
        let s = trim(raw);
        if is_missing(s) {
            return;
        }
        self.values += 1;
        // A whole number is a number too: one parse for integer columns.
        let whole = self.integer && parse_integer(s).is_some();
        self.integer = whole;
        if self.number && !whole && parse_number(s).is_none() {
            self.number = false;
        }
        if whole {
            // Integers are never dates ("2026" alone is not one), so the date checks are settled.
            self.day_first = false;
            self.month_first = false;
            return;
        }
        if self.day_first || self.month_first {
            let year_first = s.len() >= 10 && s.as_bytes()[4].is_ascii_punctuation();
            self.slashed |= !year_first;
            let dmy = parse_date_zoned(s, DateOrder::DayFirst);
            // Year-first dates read the same either way.
            let mdy = if year_first {
                dmy
            } else {
                parse_date_zoned(s, DateOrder::MonthFirst)
            };
            self.day_first &= dmy.is_some();
            self.month_first &= mdy.is_some();
            let read = dmy.or(mdy);
            self.has_time |=
                read.is_some_and(|(d, _)| d.time() != NaiveTime::MIN) || s.contains(':');
            self.zoned |= read.is_some_and(|(_, zoned)| zoned);
        }
    }

    /// True when the values seen are all numbers or all dates (not text).
    pub fn typed(&self) -> bool {
        self.values > 0 && (self.number || self.day_first || self.month_first)
    }

    /// The column's type and date order, with warnings when the order was a guess or time zones
    /// were converted.
    pub fn decide(&self, column: &str) -> (ColumnType, DateOrder, Vec<String>) {
        let (ty, order, warning) = self.decide_type(column);
        let mut warnings: Vec<String> = warning.into_iter().collect();
        if self.zoned && matches!(ty, ColumnType::Date | ColumnType::DateTime) {
            warnings.push(format!(
                "Times in \"{column}\" named a time zone (Z or +hh:mm); they were stored in UTC."
            ));
        }
        (ty, order, warnings)
    }

    fn decide_type(&self, column: &str) -> (ColumnType, DateOrder, Option<String>) {
        if self.values == 0 {
            return (ColumnType::Text, DateOrder::MonthFirst, None);
        }
        if self.integer {
            return (ColumnType::Integer, DateOrder::MonthFirst, None);
        }
        if self.number {
            return (ColumnType::Real, DateOrder::MonthFirst, None);
        }
        let ty = if self.has_time {
            ColumnType::DateTime
        } else {
            ColumnType::Date
        };
        match (self.day_first, self.month_first) {
            (true, true) if self.slashed => (
                ty,
                DateOrder::MonthFirst,
                Some(format!(
                    "Dates in \"{column}\" could be day/month or month/day; they were read as month/day (e.g. 03/04/2026 = 4 March 2026)."
                )),
            ),
            (true, true) => (ty, DateOrder::MonthFirst, None),
            (true, false) => (ty, DateOrder::DayFirst, Some(format!("Dates in \"{column}\" were read as day/month/year."))),
            (false, true) => (
                ty,
                DateOrder::MonthFirst,
                if self.slashed { Some(format!("Dates in \"{column}\" were read as month/day/year.")) } else { None },
            ),
            (false, false) => (ColumnType::Text, DateOrder::MonthFirst, None),
        }
    }
}

/// One converted cell, borrowing the source text where it is stored as is (no copy per cell).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Owned(String),
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Self::Null => ToSqlOutput::Owned(Value::Null),
            Self::Integer(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Self::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
            Self::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Self::Owned(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

#[cfg(test)]
impl Cell<'_> {
    /// The stored value, owned, to compare in tests.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Integer(i) => Value::Integer(*i),
            Self::Real(f) => Value::Real(*f),
            Self::Text(s) => Value::Text((*s).to_string()),
            Self::Owned(s) => Value::Text(s.clone()),
        }
    }
}

/// Converts one cell to the column's type; a value that does not fit is kept as text, and a
/// missing one ([`is_missing`]) is NULL in every type.
pub fn convert(raw: &str, ty: ColumnType, order: DateOrder) -> Cell<'_> {
    let s = trim(raw);
    if is_missing(s) {
        return Cell::Null;
    }
    let converted = match ty {
        ColumnType::Integer => parse_integer(s).map(Cell::Integer),
        ColumnType::Real => parse_number(s).map(Cell::Real),
        ColumnType::Date if is_iso_date(s) && parse_date(s, order).is_some() => Some(Cell::Text(s)),
        ColumnType::Date => {
            parse_date(s, order).map(|d| Cell::Owned(d.date().format("%Y-%m-%d").to_string()))
        }
        ColumnType::DateTime => {
            parse_date(s, order).map(|d| Cell::Owned(d.format("%Y-%m-%d %H:%M:%S%.f").to_string()))
        }
        ColumnType::Text => None,
    };
    converted.unwrap_or(Cell::Text(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> (ColumnType, DateOrder, Vec<String>) {
        let mut s = ColumnStats::default();
        for v in values {
            s.observe(v);
        }
        s.decide("c")
    }

    #[test]
    fn numbers_as_spreadsheets_write_them() {
        for (raw, want) in [
            ("1234", 1234.0),
            ("$1,234.50", 1234.5),
            ("-12.5", -12.5),
            ("(40.00)", -40.0),
            ("12.5%", 0.125),
            ("€ 9", 9.0),
            ("1,000,000", 1e6),
            (".5", 0.5),
        ] {
            assert_eq!(parse_number(raw), Some(want), "{raw}");
        }
        for raw in ["1,23", "12a", "abc", "", "1.2.3", "$", "--5"] {
            assert_eq!(parse_number(raw), None, "{raw}");
        }
        assert_eq!(parse_integer("00123"), None, "leading zeros are codes");
        assert_eq!(parse_integer("1,204"), Some(1204));
    }

    #[test]
    fn column_types_are_inferred_from_every_value() {
        assert_eq!(column(&["1", "2", "", "3"]).0, ColumnType::Integer);
        assert_eq!(column(&["1", "2.5"]).0, ColumnType::Real);
        assert_eq!(column(&["$1,234.50", "$99"]).0, ColumnType::Real);
        assert_eq!(column(&["2026-01-05", "2026-02-28"]).0, ColumnType::Date);
        assert_eq!(
            column(&["2026-01-05 10:30", "2026-02-28 08:00:00"]).0,
            ColumnType::DateTime
        );
        assert_eq!(column(&["West", "3"]).0, ColumnType::Text);
        assert_eq!(column(&["", ""]).0, ColumnType::Text);
    }

    #[test]
    fn day_month_order_is_decided_per_column_and_reported() {
        let (ty, order, warn) = column(&["25/12/2025", "03/04/2026"]);
        assert_eq!((ty, order), (ColumnType::Date, DateOrder::DayFirst));
        assert!(warn.iter().any(|w| w.contains("day/month")));
        let (_, order, _) = column(&["12/25/2025", "03/04/2026"]);
        assert_eq!(order, DateOrder::MonthFirst);
        let (ty, order, warn) = column(&["03/04/2026", "05/06/2026"]);
        assert_eq!((ty, order), (ColumnType::Date, DateOrder::MonthFirst));
        assert!(
            warn.iter().any(|w| w.contains("could be")),
            "ambiguous order is reported"
        );
        assert_eq!(
            convert("25/12/2025", ColumnType::Date, DateOrder::DayFirst).to_value(),
            Value::Text("2025-12-25".into())
        );
        assert_eq!(
            convert(" 2025-12-25", ColumnType::Date, DateOrder::DayFirst),
            Cell::Text("2025-12-25"),
            "ISO dates are stored as they are"
        );
        assert_eq!(
            convert("2025-13-45", ColumnType::Date, DateOrder::DayFirst),
            Cell::Text("2025-13-45"),
            "impossible dates stay text"
        );
    }

    #[test]
    fn no_value_spellings_are_missing_and_real_values_are_not() {
        for (raw, missing) in [
            ("NA", true),
            (" n/a ", true),
            ("N/A", true),
            ("#N/A", true),
            ("NULL", true),
            ("null", true),
            ("None", true),
            ("NONE", true),
            ("-", true),
            ("NaN", true),
            ("nan", true),
            ("", true),
            ("  \t", true),
            ("NAB", false),
            ("Nancy", false),
            ("#n/a", false),
            ("--", false),
            ("-5", false),
            ("N/A%", false),
            ("n.a.", false),
            ("0", false),
            ("Null Island", false),
        ] {
            assert_eq!(is_missing(raw), missing, "{raw:?}");
        }
        assert_eq!(
            null_token(" N/A "),
            Some("N/A"),
            "the spelling as written, trimmed"
        );
    }

    #[test]
    fn no_value_cells_leave_the_column_type_alone_and_store_null() {
        use ColumnType::{Date, DateTime, Integer, Real, Text};
        for (values, ty) in [
            (&["1", "NA", "3"][..], Integer),
            (&["1.5", "N/A", " - "], Real),
            (&["$1,200.50", "#N/A", "nan"], Real),
            (&["2026-01-05", "#N/A", "NULL"], Date),
            (&["25/12/2025", "None", "03/04/2026"], Date),
            (&["2024-03-01T10:00Z", "null"], DateTime),
            (&["West", "NaN"], Text),
            (&["NA", "n/a"], Text),
        ] {
            assert_eq!(column(values).0, ty, "{values:?}");
        }
        for ty in ColumnType::ALL {
            for raw in ["NA", " N/A", "-", "", "None "] {
                assert_eq!(
                    convert(raw, ty, DateOrder::MonthFirst),
                    Cell::Null,
                    "{raw:?} as {ty:?}"
                );
            }
        }
    }

    #[test]
    fn date_times_are_stored_as_sortable_iso_text_in_utc_when_zoned() {
        for (raw, stored) in [
            ("2024-03-01T23:30:00Z", "2024-03-01 23:30:00"),
            ("2024-03-01T23:30:00+02:00", "2024-03-01 21:30:00"),
            ("2024-03-01T23:30:00.250Z", "2024-03-01 23:30:00.250"),
            ("2024-03-01 23:30", "2024-03-01 23:30:00"),
            ("01/03/2024 23:30", "2024-01-03 23:30:00"),
        ] {
            assert_eq!(
                convert(raw, ColumnType::DateTime, DateOrder::MonthFirst).to_value(),
                Value::Text(stored.into()),
                "{raw}"
            );
        }
        let (ty, _, warn) = column(&["2024-03-01T23:30:00Z", "2024-03-02T08:00:00+02:00"]);
        assert_eq!(ty, ColumnType::DateTime);
        assert!(warn.iter().any(|w| w.contains("stored in UTC")), "{warn:?}");
        let (ty, _, warn) = column(&["2024-03-01 23:30", "2024-03-01T08:00:00"]);
        assert_eq!(
            (ty, warn),
            (ColumnType::DateTime, vec![]),
            "no zone, nothing converted"
        );
        // Stored text sorts in time order, across zones and fractions.
        let instants = [
            "2024-03-01T22:00:00+02:00",
            "2024-03-01T20:30:00Z",
            "2024-03-01T20:30:00.5Z",
            "2024-03-01T16:00:00-05:00",
        ];
        let stored: Vec<String> = instants
            .iter()
            .map(|r| convert(r, ColumnType::DateTime, DateOrder::MonthFirst).to_value())
            .map(|v| format!("{v:?}"))
            .collect();
        assert!(stored.windows(2).all(|w| w[0] < w[1]), "{stored:?}");
    }
}
