//! The linguistic model of a schema, derived automatically: which columns are measures
//! (numbers to add up), dimensions (text to group or filter by), dates, entity keys, and which
//! stored values can become filters. Nothing here knows the sample database by name.

use std::collections::BTreeMap;

use crate::schema::{ColumnKind, Schema};

use super::lexicon::{canonical, expand_abbreviation, singular, ENTITY_SYNONYMS, MEASURE_SYNONYMS};

#[derive(Debug, Clone)]
pub struct TableModel {
    pub name: String,
    pub is_view: bool,
    /// A view of one fixed period (see [`crate::schema::Table::fixed_period`]).
    pub fixed_period: bool,
    /// The singular entity this table holds ("orders" → "order").
    pub entity: String,
    pub primary_key: Option<String>,
    pub measures: Vec<String>,
    pub dims: Vec<String>,
    pub dates: Vec<String>,
    pub month: Option<String>,
    /// A date held in separate number columns: year, month and day.
    pub date_parts: Option<DateParts>,
    pub all_columns: Vec<String>,
    /// Date columns holding date-times (`DATETIME`, `TIMESTAMP`): imports store a time that named
    /// a zone in UTC, so a window on one is said to be in UTC.
    pub instants: Vec<String>,
    /// Where this table's data ends (its latest stored date).
    pub latest: Option<chrono::NaiveDate>,
    /// The name column is a ticker or a code (`symbol`): rows are observations of the thing it
    /// names, so "how many different stocks" counts its distinct values, not rows.
    pub observations: bool,
    /// Columns that name one row for people: `name`, `ProductName`, or `FirstName` + `LastName`.
    pub name_columns: Vec<String>,
}

/// The number columns that together hold a date (`year`, `month`, `day`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateParts {
    pub year: String,
    pub month: Option<String>,
    pub day: Option<String>,
}

/// The column name standing for a date made of [`DateParts`] (never a real column's name).
pub const DATE_FROM_PARTS: &str = "\u{1}date";

/// The part of a date a number column's name says it holds.
fn time_part(name: &str) -> Option<&'static str> {
    match name_words(name).as_slice() {
        [p] => ["year", "month", "day", "hour", "minute", "week", "quarter"]
            .into_iter()
            .find(|x| x == p),
        _ => None,
    }
}

/// Links on a column two tables share by name where the other side is unique
/// (`flights.carrier` → `airlines.carrier`): its primary key, or a listed text column with as
/// many distinct values as the table has rows. Never towards a non-unique side, so a join can
/// not multiply rows; never on a time part (`year`), which is shared without being a key.
fn shared_column_edges(schema: &Schema) -> Vec<Edge> {
    let mut out = Vec::new();
    let base: Vec<&crate::schema::Table> = schema.tables.iter().filter(|t| !t.is_view).collect();
    for a in &base {
        for c in &a.columns {
            // Names and descriptions are shared by chance (a product's name is not a region's).
            let generic = name_words(&c.name).last().is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "name"
                        | "title"
                        | "description"
                        | "label"
                        | "note"
                        | "notes"
                        | "comment"
                        | "comments"
                        | "status"
                        | "type"
                )
            });
            if time_part(&c.name).is_some() || c.primary_key || generic {
                continue;
            }
            for b in base
                .iter()
                .filter(|b| b.name != a.name && b.row_count > 0 && b.row_count < a.row_count)
            {
                let Some(key) = b.column(&c.name) else {
                    continue;
                };
                let unique = key.primary_key
                    || (key.kind == ColumnKind::Text && key.values.len() as i64 == b.row_count);
                if unique && key.kind == c.kind {
                    out.push(Edge {
                        from_table: a.name.clone(),
                        from_column: c.name.clone(),
                        to_table: b.name.clone(),
                        to_column: key.name.clone(),
                    });
                }
            }
        }
    }
    out
}

/// A many-to-one link: `from_table.from_column` refers to `to_table.to_column`. Joins only follow
/// these towards the "one" side, so a join never multiplies the rows being added up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from_table: String,
    pub from_column: String,
    pub to_table: String,
    pub to_column: String,
}

impl TableModel {
    /// The price, quantity and (optional) discount columns of a line-items table.
    pub fn line_total_columns(&self) -> Option<(String, String, Option<String>)> {
        let find = |pred: &dyn Fn(&[String]) -> bool| {
            self.measures.iter().find(|m| pred(&name_words(m))).cloned()
        };
        let price = find(&|p| p.iter().any(|w| w == "price"))?;
        // The last word decides: `Quantity`, `OrderQty` — not `UnitsInStock` or `UnitsOnOrder`.
        let quantity = find(&|p| {
            p.last()
                .is_some_and(|w| w == "quantity" || w == "qty" || w == "units")
        })?;
        let discount = find(&|p| p.iter().any(|w| w == "discount"));
        Some((price, quantity, discount))
    }

    pub fn has_line_total(&self) -> bool {
        self.line_total_columns().is_some()
    }

    pub fn has(&self, column: &str) -> bool {
        self.all_columns
            .iter()
            .any(|c| c.eq_ignore_ascii_case(column))
    }
}

/// A stored value that a word can name ("west" → region = 'West').
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRef {
    pub table: String,
    pub column: String,
    pub value: String,
}

/// A Yes/No column and the subject its name gives ("is_member" → "member").
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub table: String,
    pub column: String,
    pub word: String,
    /// The stored value meaning yes ("Yes", "Y", "true", "1").
    pub yes: String,
    pub no: Option<String>,
}

/// Stored spellings of yes and no.
const YES: &[&str] = &["yes", "y", "true", "t", "1"];
const NO: &[&str] = &["no", "n", "false", "f", "0"];

/// The Yes/No reading of a text column's values, when every value is one of them.
fn flag_of(values: &[String]) -> Option<(String, Option<String>)> {
    if values.is_empty() || values.len() > 2 {
        return None;
    }
    let yes = values
        .iter()
        .find(|v| YES.contains(&v.to_lowercase().as_str()))?;
    let no = values
        .iter()
        .find(|v| NO.contains(&v.to_lowercase().as_str()));
    (values.len() == 1 || no.is_some()).then(|| (yes.clone(), no.cloned()))
}

/// The full names a stored calendar abbreviation stands for ("Tue" → "tuesday", "Sept" → "september").
fn calendar_aliases(value: &str) -> Option<&'static str> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let v = value.to_lowercase();
    if v.len() < 3 {
        return None;
    }
    super::lexicon::WEEKDAYS
        .iter()
        .chain(MONTHS.iter())
        .find(|full| full.starts_with(v.as_str()) && **full != v)
        .copied()
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Yes/No columns, by the subject their name gives.
    pub flags: Vec<Flag>,
    /// Single-word listed values by their stem ("refunded" under "refund"), for questions that
    /// say the value in another form ("refunds").
    pub stems: BTreeMap<String, Vec<ValueRef>>,
    /// Columns whose values come from the long value index (more than a few dozen values).
    pub indexed: std::collections::BTreeSet<(String, String)>,
    pub tables: Vec<TableModel>,
    /// Lowercased value (one or more words) → where it is stored.
    pub values: BTreeMap<String, Vec<ValueRef>>,
    /// Every word the model knows (for spelling correction).
    pub vocabulary: Vec<String>,
    /// Declared foreign keys, and `<entity>_id` / `<Entity>Id` columns where none are declared.
    pub edges: Vec<Edge>,
    /// The SQL dialect to write.
    pub dialect: crate::dialect::Dialect,
    /// Where the data ends: the latest date stored in any table.
    pub latest: Option<chrono::NaiveDate>,
}

/// Lowercase words of an identifier: `unit_price` and `UnitPrice` → ["unit", "price"].
pub fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == ' ' || c == '-' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase())
                    && chars[i - 1].is_uppercase());
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    let n = out.len();
    for (i, part) in out.iter_mut().enumerate() {
        if let Some(full) = expand_abbreviation(part, n > 1 && i + 1 == n) {
            *part = full.to_string();
        }
    }
    out
}

/// A word's stem for matching a question's word with a column's: "investment" and "invest",
/// "departures" and "departure" meet. A light suffix stripper (longest suffix first, a stem of
/// at least four letters kept), enough for the nouns of column names.
pub fn stem(word: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "ments", "ment", "ings", "ing", "ations", "ation", "ions", "ion", "ers", "er", "ies", "es",
        "ed", "s", "e",
    ];
    let mut w = word.to_string();
    for suffix in SUFFIXES {
        if let Some(stem) = w.strip_suffix(suffix) {
            if stem.chars().count() >= 4 {
                w = stem.to_string();
                break;
            }
        }
    }
    w
}

/// The columns that name a row: `name`/`title`, `…Name`, or first + last name.
fn name_columns(dims: &[String]) -> Vec<String> {
    let find = |w: &str| {
        dims.iter()
            .find(|d| name_words(d).iter().any(|p| p == w))
            .cloned()
    };
    if let (Some(first), Some(last)) = (find("first"), find("last")) {
        return vec![first, last];
    }
    dims.iter()
        .find(|d| d.eq_ignore_ascii_case("name") || d.eq_ignore_ascii_case("title"))
        .or_else(|| {
            dims.iter()
                .find(|d| name_words(d).last().is_some_and(|w| w == "name"))
        })
        // A ticker or a code names the row's thing where no name column exists ("each stock"
        // over `symbol`).
        .or_else(|| {
            dims.iter().find(|d| {
                name_words(d)
                    .last()
                    .is_some_and(|w| matches!(w.as_str(), "symbol" | "ticker" | "sku" | "isbn"))
            })
        })
        .map(|d| vec![d.clone()])
        .unwrap_or_default()
}

/// True when the words of a phrase are abbreviated, in order, by a column name's parts: each
/// part a prefix (at least 3 letters, or the whole word) of one word or of several joined
/// ("life expectancy" ~ `lifeExp`, "gdp per capita" ~ `gdpPercap`, "population" ~ `pop`), or
/// the initials of several ("personal consumption expenditures" ~ `pce`).
pub fn abbreviates(parts: &[String], phrase: &[&str]) -> bool {
    /// `piece` shortens `word`: same first letter, and its letters in order within the word
    /// ("hwy" ~ highway, "scr" ~ score, "expn" ~ expenditure).
    fn shortens(piece: &str, word: &str) -> bool {
        let mut letters = word.chars();
        piece.chars().next() == word.chars().next()
            && piece.chars().all(|c| letters.by_ref().any(|w| w == c))
    }
    /// Consumes the rest of one name part with the next words: each word takes a piece of the
    /// part that shortens it, then the next part continues with the words left. A single
    /// letter is taken only as an initial that the previous word could not have taken itself
    /// (`packpc` = pack + p + c, but `private` is not "privat" + "e" of "employment").
    fn part(rest: &str, prev: Option<(&str, &str)>, parts: &[String], phrase: &[&str]) -> bool {
        if rest.is_empty() {
            return prev.is_some() && go(parts, phrase);
        }
        let Some((word, more)) = phrase.split_first() else {
            return false;
        };
        let n = rest.len();
        (1..=n)
            .rev()
            .filter(|&l| rest.is_char_boundary(l))
            .any(|l| {
                let piece = &rest[..l];
                let initial = l == 1
                    && (prev.is_some() || l < n)
                    && prev.is_none_or(|(p, w)| !shortens(&format!("{p}{piece}"), w));
                (l >= 2 || initial)
                    && shortens(piece, word)
                    && part(&rest[l..], Some((piece, word)), parts, more)
            })
    }
    fn go(parts: &[String], phrase: &[&str]) -> bool {
        match parts.split_first() {
            None => phrase.is_empty(),
            Some((first, rest)) => {
                if phrase.is_empty() {
                    return false;
                }
                // A prefix of several words joined ("percap" ~ "per" + "capita"), each reached.
                let mut joined = String::new();
                for (k, w) in phrase.iter().enumerate() {
                    let before = joined.len();
                    joined.push_str(w);
                    let reaches_last = k == 0 || first.len() > before;
                    if k > 0
                        && first.len() >= 3
                        && reaches_last
                        && joined.starts_with(first.as_str())
                        && go(rest, &phrase[k + 1..])
                    {
                        return true;
                    }
                    if joined.len() > first.len() + 12 {
                        break;
                    }
                }
                part(first, None, rest, phrase)
            }
        }
    }
    let letters = |ws: &mut dyn Iterator<Item = usize>| ws.sum::<usize>();
    !parts.is_empty()
        && !phrase.is_empty()
        && letters(&mut phrase.iter().map(|w| w.len()))
            > letters(&mut parts.iter().map(String::len))
        && go(parts, phrase)
}

fn is_key(name: &str) -> bool {
    // The row numbers a spreadsheet or R export writes first (`column_1`, `Unnamed: 0`, `index`).
    let lower = name.to_lowercase();
    let numbered = lower
        .strip_prefix("column_")
        .is_some_and(|n| n.parse::<u32>().is_ok());
    if numbered
        || lower.starts_with("unnamed")
        || matches!(
            lower.as_str(),
            "index" | "rownames" | "row_names" | "row" | "row_id"
        )
    {
        return true;
    }
    let words = name_words(name);
    words
        .last()
        .is_some_and(|w| w == "id" || w == "key" || w == "code")
        || name.eq_ignore_ascii_case("rowid")
}

impl Model {
    pub fn build(schema: &Schema) -> Self {
        let mut model = Model::default();
        let mut vocab: Vec<String> = Vec::new();
        for t in &schema.tables {
            let entity = canonical(ENTITY_SYNONYMS, &t.name.to_lowercase())
                .map_or_else(|| singular(&name_words(&t.name).join("_")), str::to_string);
            let mut tm = TableModel {
                name: t.name.clone(),
                is_view: t.is_view,
                fixed_period: t.fixed_period,
                entity,
                primary_key: t
                    .columns
                    .iter()
                    .find(|c| c.primary_key)
                    .map(|c| c.name.clone()),
                measures: Vec::new(),
                dims: Vec::new(),
                dates: Vec::new(),
                month: None,
                date_parts: None,
                instants: Vec::new(),
                latest: t.latest.as_deref().and_then(|l| l.parse().ok()),
                all_columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                name_columns: Vec::new(),
                observations: false,
            };
            vocab.extend(name_words(&t.name));
            for c in &t.columns {
                vocab.extend(name_words(&c.name));
                match c.kind {
                    // A year or an hour is when, not how much: a grouping, never added up.
                    k if k.is_numeric() && time_part(&c.name).is_some() => {
                        tm.dims.push(c.name.clone());
                    }
                    k if k.is_numeric() && !c.primary_key && !is_key(&c.name) => {
                        tm.measures.push(c.name.clone());
                    }
                    ColumnKind::Date => {
                        tm.dates.push(c.name.clone());
                        // A date-time column: a window on it is on the times as stored.
                        if c.decl_type.to_ascii_uppercase().contains("TIME") {
                            tm.instants.push(c.name.clone());
                        }
                    }
                    ColumnKind::Month => tm.month = Some(c.name.clone()),
                    ColumnKind::Text => tm.dims.push(c.name.clone()),
                    _ => {}
                }
                if let Some((yes, no)) = flag_of(&c.values) {
                    let parts: Vec<String> = name_words(&c.name)
                        .into_iter()
                        .filter(|p| {
                            !matches!(
                                p.as_str(),
                                "is" | "has" | "flag" | "yn" | "ind" | "indicator" | "was" | "did"
                            )
                        })
                        .collect();
                    if !parts.is_empty() {
                        model.flags.push(Flag {
                            table: t.name.clone(),
                            column: c.name.clone(),
                            word: singular(&parts.join("_")),
                            yes,
                            no,
                        });
                    }
                    // "yes" and "no" are not names of anything a question filters on.
                    continue;
                }
                // The value index of longer columns: found by the planner, said as a guess.
                for v in &c.index {
                    let key = v.to_lowercase();
                    model.indexed.insert((t.name.clone(), c.name.clone()));
                    model.values.entry(key).or_default().push(ValueRef {
                        table: t.name.clone(),
                        column: c.name.clone(),
                        value: v.clone(),
                    });
                }
                for v in &c.values {
                    let key = v.to_lowercase();
                    if !key.contains(' ') && key.len() >= 4 {
                        model.stems.entry(stem(&key)).or_default().push(ValueRef {
                            table: t.name.clone(),
                            column: c.name.clone(),
                            value: v.clone(),
                        });
                    }
                    if let Some(full) = calendar_aliases(&key) {
                        model
                            .values
                            .entry(full.to_string())
                            .or_default()
                            .push(ValueRef {
                                table: t.name.clone(),
                                column: c.name.clone(),
                                value: v.clone(),
                            });
                    }
                    vocab.extend(key.split_whitespace().map(str::to_string));
                    model.values.entry(key).or_default().push(ValueRef {
                        table: t.name.clone(),
                        column: c.name.clone(),
                        value: v.clone(),
                    });
                }
            }
            tm.name_columns = name_columns(&tm.dims);
            tm.observations = tm.name_columns.len() == 1
                && name_words(&tm.name_columns[0])
                    .last()
                    .is_some_and(|w| matches!(w.as_str(), "symbol" | "ticker" | "sku" | "isbn"));
            let part = |p: &str| {
                t.columns
                    .iter()
                    .find(|c| c.kind.is_numeric() && time_part(&c.name) == Some(p))
                    .map(|c| c.name.clone())
            };
            // Separate year, month and day are the local date: preferred over an instant
            // (`time_hour` in UTC) stored beside them; year (and month) alone only when no
            // date column exists.
            if let Some(year) = part("year") {
                let month = part("month");
                let day = month.as_ref().and(part("day"));
                if day.is_some() || tm.dates.is_empty() {
                    tm.date_parts = Some(DateParts { year, month, day });
                    tm.dates.insert(0, DATE_FROM_PARTS.to_string());
                }
            }
            for fk in &t.foreign_keys {
                let to_column = if fk.to_column.is_empty() {
                    schema
                        .table(&fk.table)
                        .and_then(|b| b.columns.iter().find(|c| c.primary_key))
                        .map(|c| c.name.clone())
                        .unwrap_or_default()
                } else {
                    fk.to_column.clone()
                };
                if !to_column.is_empty() && !fk.table.eq_ignore_ascii_case(&t.name) {
                    model.edges.push(Edge {
                        from_table: t.name.clone(),
                        from_column: fk.column.clone(),
                        to_table: fk.table.clone(),
                        to_column,
                    });
                }
            }
            model.tables.push(tm);
        }
        model.latest = schema
            .tables
            .iter()
            .filter_map(|t| t.latest.as_deref()?.parse::<chrono::NaiveDate>().ok())
            .max();
        model.infer_edges();
        for e in shared_column_edges(schema) {
            if !model
                .edges
                .iter()
                .any(|x| x.from_table == e.from_table && x.from_column == e.from_column)
            {
                model.edges.push(e);
            }
        }
        for group in MEASURE_SYNONYMS.iter().chain(ENTITY_SYNONYMS) {
            vocab.extend(group.iter().map(|w| (*w).to_string()));
        }
        vocab.sort();
        vocab.dedup();
        model.vocabulary = vocab;
        model
    }

    /// Links by naming where no foreign key is declared: `customer_id` → the customers table's key.
    fn infer_edges(&mut self) {
        let mut inferred = Vec::new();
        // Views are already flattened (and often filtered, like "completed orders only"); joining
        // out of them by a guessed key would mix their filter with base-table facts.
        for a in self.tables.iter().filter(|t| !t.is_view) {
            for c in &a.all_columns {
                let parts = name_words(c);
                if parts.len() < 2
                    || parts.last().is_none_or(|p| p != "id")
                    || a.primary_key.as_deref() == Some(c.as_str())
                {
                    continue;
                }
                if self
                    .edges
                    .iter()
                    .any(|e| e.from_table == a.name && e.from_column == *c)
                {
                    continue;
                }
                let stem = singular(&parts[..parts.len() - 1].join("_"));
                // The target's key: its primary key, or (imported tables have none) a column of the
                // same name, or `id`.
                let target = self
                    .tables
                    .iter()
                    .filter(|b| !b.is_view && b.name != a.name && b.entity == stem)
                    .find_map(|b| {
                        let key = b.primary_key.clone().or_else(|| {
                            b.all_columns
                                .iter()
                                .find(|x| x.eq_ignore_ascii_case(c) || x.eq_ignore_ascii_case("id"))
                                .cloned()
                        })?;
                        Some((b.name.clone(), key))
                    });
                if let Some((to_table, to_column)) = target {
                    inferred.push(Edge {
                        from_table: a.name.clone(),
                        from_column: c.clone(),
                        to_table,
                        to_column,
                    });
                }
            }
        }
        self.edges.extend(inferred);
    }

    /// Tables reachable from `from` along many-to-one links (at most three hops), nearest first,
    /// each with the links that reach it.
    pub fn reachable(&self, from: &str) -> Vec<(&TableModel, Vec<&Edge>)> {
        let mut out: Vec<(&TableModel, Vec<&Edge>)> = Vec::new();
        let Some(start) = self.table(from) else {
            return out;
        };
        out.push((start, Vec::new()));
        let mut frontier = 0;
        while frontier < out.len() {
            let (t, path) = (out[frontier].0, out[frontier].1.clone());
            frontier += 1;
            if path.len() >= 3 {
                continue;
            }
            for e in self.edges.iter().filter(|e| e.from_table == t.name) {
                if out.iter().any(|(seen, _)| seen.name == e.to_table) {
                    continue;
                }
                if let Some(next) = self.table(&e.to_table) {
                    let mut p = path.clone();
                    p.push(e);
                    out.push((next, p));
                }
            }
        }
        out
    }

    /// True when some table can compute what `word` measures: a matching numeric column, or
    /// (for money words) price × quantity on line items.
    pub fn can_measure(&self, word: &str) -> bool {
        !self.measure_columns(word).is_empty()
            || canonical(MEASURE_SYNONYMS, word) == Some("revenue")
                && self.tables.iter().any(TableModel::has_line_total)
    }

    pub fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Numeric columns a measure word can mean, best first: (table, column, score).
    pub fn measure_columns(&self, word: &str) -> Vec<(String, String, u8)> {
        let lower = word.to_lowercase();
        let word = lower.as_str();
        let mut found = self.measure_columns_exactly(word);
        let sing = singular(word);
        if found.is_empty() && sing != word {
            found = self.measure_columns_exactly(&sing);
        }
        if found.is_empty() {
            // A unit names the column it measures: "miles" → distance, "kg" → weight.
            if let Some((_, kinds)) = super::lexicon::UNITS
                .iter()
                .find(|(u, _)| *u == word || *u == sing)
            {
                for kind in *kinds {
                    let by_kind = self.measure_columns_exactly(kind);
                    if !by_kind.is_empty() {
                        return by_kind.into_iter().map(|(t, c, _)| (t, c, 2)).collect();
                    }
                }
            }
        }
        found
    }

    fn measure_columns_exactly(&self, word: &str) -> Vec<(String, String, u8)> {
        let canon = canonical(MEASURE_SYNONYMS, word);
        let group: &[&str] = MEASURE_SYNONYMS
            .iter()
            .find(|g| g.contains(&word))
            .copied()
            .unwrap_or(&[]);
        let mut out = Vec::new();
        for t in &self.tables {
            for m in &t.measures {
                let lower = m.to_lowercase();
                let parts = name_words(m);
                let score =
                    if lower == word || Some(lower.as_str()) == canon || parts.join("_") == word {
                        4
                    } else if group.iter().position(|g| *g == lower).is_some() {
                        3
                    } else if parts
                        .iter()
                        .any(|p| p == word || Some(p.as_str()) == canon || stem(p) == stem(word))
                    {
                        2
                    } else if parts.len() > 1 && parts.iter().any(|p| group.contains(&p.as_str())) {
                        1
                    } else {
                        0
                    };
                if score > 0 {
                    out.push((t.name.clone(), m.clone(), score));
                }
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.2));
        out
    }

    /// Columns a dimension word can mean: (table, columns to show), best first within a table.
    /// "region" → `sales.region`; "country" → `Invoice.BillingCountry`; "customer" → the
    /// customers table's name column(s).
    pub fn dim_columns(&self, word: &str) -> Vec<(String, Vec<String>)> {
        let found = self.dim_columns_exactly(word);
        if !found.is_empty() {
            return found;
        }
        // "company" finds a `firm` column: the other words of its synonym group (never for a
        // figure's word: "by sales" ranks by sales).
        if canonical(MEASURE_SYNONYMS, word).is_some()
            || canonical(MEASURE_SYNONYMS, &singular(word)).is_some()
        {
            return found;
        }
        let group = ENTITY_SYNONYMS
            .iter()
            .find(|g| g.contains(&word) || g.contains(&singular(word).as_str()));
        group
            .into_iter()
            .flat_map(|g| g.iter())
            .filter(|w| **w != word)
            .map(|w| self.dim_columns_exactly(w))
            .find(|f| !f.is_empty())
            .unwrap_or_default()
    }

    fn dim_columns_exactly(&self, word: &str) -> Vec<(String, Vec<String>)> {
        let sing = singular(word);
        let canon = canonical(ENTITY_SYNONYMS, word)
            .unwrap_or(&sing)
            .to_string();
        let mut out = Vec::new();
        for t in &self.tables {
            let mut exact = None;
            let mut suffix = None;
            for d in &t.dims {
                let lower = d.to_lowercase();
                let parts = name_words(d);
                let joined = parts.join("_");
                if lower == word
                    || lower == sing
                    || lower == canon
                    || joined == word
                    || joined == sing
                    || parts.len() == 1 && stem(&parts[0]) == stem(word)
                    || parts.first().is_some_and(|p| *p == canon)
                        && parts.last().is_some_and(|p| p == "name")
                {
                    exact.get_or_insert_with(|| vec![d.clone()]);
                } else if parts.len() > 1 && parts.last().is_some_and(|p| *p == sing || *p == canon)
                {
                    suffix.get_or_insert_with(|| vec![d.clone()]);
                }
            }
            // A whole-number column named exactly ("by size", "by floor"): grouped like text.
            // Never a figure's own word ("by revenue" ranks by it, it does not group by it).
            if exact.is_none() && canonical(MEASURE_SYNONYMS, word).is_none() && !non_additive(word)
            {
                exact = t
                    .measures
                    .iter()
                    .find(|m| m.eq_ignore_ascii_case(word) || m.eq_ignore_ascii_case(&sing))
                    .map(|m| vec![m.clone()]);
            }
            // The entity's own table: its name column(s) ("by product" over products.name).
            let own =
                (t.entity == canon && !t.name_columns.is_empty()).then(|| t.name_columns.clone());
            if let Some(cols) = exact.or(own).or(suffix) {
                out.push((t.name.clone(), cols));
            }
        }
        out
    }

    /// The table holding an entity ("customers" → customers table).
    pub fn entity_table(&self, word: &str) -> Option<&TableModel> {
        let sing = singular(word);
        let canon = canonical(ENTITY_SYNONYMS, word).unwrap_or(&sing);
        self.tables
            .iter()
            .filter(|t| !t.is_view)
            .find(|t| t.entity == canon)
    }
}

/// True when a figure named so does not add up (a price, a rate, an age).
pub(crate) fn non_additive(word: &str) -> bool {
    use super::lexicon::{singular, NON_ADDITIVE};
    word.split('_').flat_map(name_words).any(|p| {
        NON_ADDITIVE.contains(&p.as_str()) || NON_ADDITIVE.contains(&singular(&p).as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_words() {
        assert_eq!(name_words("unit_price"), ["unit", "price"]);
        assert_eq!(name_words("UnitPrice"), ["unit", "price"]);
        assert_eq!(name_words("InvoiceLineId"), ["invoice", "line", "id"]);
        assert_eq!(name_words("HTTPStatus"), ["http", "status"]);
        // Abbreviations read as the words they stand for, in any case style.
        assert_eq!(name_words("ship_dt"), ["ship", "date"]);
        assert_eq!(name_words("unitPx"), ["unit", "price"]);
        assert_eq!(name_words("Emp Cnt"), ["employee", "count"]);
        assert_eq!(name_words("invoice_no"), ["invoice", "number"]);
        assert_eq!(name_words("no_show"), ["no", "show"]);
        assert_eq!(name_words("TotAmt"), ["total", "amount"]);
    }
}
