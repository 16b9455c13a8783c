//! The offline planner: turns an everyday question into SQL over the schema it is given, with a
//! confidence and a plain-words interpretation, without any network or API key.
//!
//! It reads the question as words ([`words`]), resolves time expressions ([`time`]), then finds
//! measures, groupings, filters and rankings using the vocabulary in [`lexicon`] and the
//! linguistic model of the schema in [`model`] (derived automatically, nothing hard-coded about
//! the sample database). It then picks the one table or view that can answer all of it and
//! writes the SQL. Whatever it did not understand lowers the confidence. It reads and never
//! decides: every plan carries the rephrasings it can answer on this data (each with the
//! confidence it plans at), what it was unsure of and what the data is about, and the router
//! ([`crate::router::decide`]) chooses the route, the message and the options with the configured
//! thresholds.

mod conditions;
mod dims;
mod examples;
mod extremes;
mod filters;
pub(crate) mod lexicon;
mod measures;
pub(crate) mod model;
mod read;
mod slots;
mod sql;
mod thesaurus;
mod time;
pub(crate) mod words;

use chrono::NaiveDate;

pub use conditions::{Role, RowFilter};
pub use extremes::{List, SortBy};
pub use lexicon::Grain;
pub use model::Model;
pub use time::Window;

use lexicon::{
    canonical, number_word, singular, ASCENDING, DESCENDING, ENTITY_SYNONYMS, FILLER, GRAINS,
    RECORD_WORDS, VAGUE, WEEKDAYS, WRITE_VERBS,
};
use words::Words;

/// The planner's reading of a question: no route, no message; [`crate::router::decide`] makes
/// those from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub sql: Option<String>,
    pub confidence: f64,
    pub interpretation: String,
    pub wants_change: bool,
    /// Rephrasings this planner writes SQL for on this data, best first, each with the confidence
    /// it plans at; the router offers those it would answer.
    pub rephrasings: Vec<Rephrasing>,
    /// What the planner was unsure of, for the router's clarification.
    pub doubt: Doubt,
    /// What this data can answer ("revenue, profit, quantity"), for the router's fallback.
    pub topics: String,
    /// A chart title ("Revenue by region, last month").
    pub title: String,
    /// What each word was read as, for the person to confirm or correct ("worth → price").
    pub mappings: Vec<Mapping>,
    /// What makes this question differ from another wording ([`Planner::slots`]), for the
    /// answer cache; empty for a rephrasing planned as an option.
    pub slots: Vec<String>,
    /// When the question's time window runs past the newest date in the data: "Your data ends
    /// 12 June 2026, so June 2026 is partial."
    pub freshness: Option<String>,
}

/// A question the planner offers instead, and the confidence it plans at.
#[derive(Debug, Clone, PartialEq)]
pub struct Rephrasing {
    pub question: String,
    pub confidence: f64,
}

/// What kept the planner from being sure: the router says it when it asks the person to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubt {
    /// Words it did not read, or read by guessing (also the reading of a confident plan).
    Words,
    /// No figure named and none implied ("how are we doing?").
    Figure,
    /// Every part was read, but no one table answers all of them.
    Table,
    /// Nothing in this data matches the words it did not read.
    Data,
}

/// One word of the question and the column it was read as, with the other columns of the same
/// table it could mean (offered when the person corrects it; the correction goes to the
/// glossary, so the next question reads the word their way).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub said: String,
    pub table: String,
    pub column: String,
    pub alternatives: Vec<String>,
}

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// SUM of a measure word's column ("sales", "units").
    Sum { word: String },
    /// AVG of a measure word's column ("average discount").
    Avg { word: String },
    /// MIN of a measure word's column ("minimum price", "earliest ship date").
    Min { word: String },
    /// MAX of a measure word's column ("maximum delay").
    Max { word: String },
    /// How many periods of a grain the rows fall in ("how many months had …").
    Periods { grain: Grain },
    /// How many of an entity ("orders", "customers").
    Count {
        entity: String,
        with_orders: bool,
        new: bool,
    },
    /// Money per order.
    OrderValue,
    /// SUM(profit) / SUM(revenue).
    Margin,
    /// An average per entity: SUM of a measure / number of distinct entities
    /// ("average revenue per customer").
    PerEntity { word: String, entity: String },
}

/// A comparison on the measure of each group ("customers with more than 20 orders").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    Above,
    AtLeast,
    Below,
    AtMost,
}

impl Cmp {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Above => ">",
            Self::AtLeast => ">=",
            Self::Below => "<",
            Self::AtMost => "<=",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Self::Above => "more than",
            Self::AtLeast => "at least",
            Self::Below => "less than",
            Self::AtMost => "at most",
        }
    }
}

/// A grouping: a time grain over the date column, or a column named by a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Grain(Grain),
    Column { word: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Desc,
    Asc,
}

/// Everything understood from the question, before a table is chosen.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub measure: Option<Measure>,
    pub measure_implied: bool,
    pub dims: Vec<Dim>,
    pub filters: Vec<model::ValueRef>,
    pub window: Option<Window>,
    pub rank: Option<(Order, u32)>,
    /// Keep only groups whose measure compares so with the number.
    pub having: Option<(Cmp, f64)>,
    /// Show each group's share of the total ("share of revenue by region").
    pub share: bool,
    /// Show the change from the previous period ("month over month", "year over year", "growth").
    pub change: bool,
    /// The entity whose figure the measure is ("average *product* price"): prefer its table.
    pub measure_entity: Option<String>,
    pub corrections: Vec<(String, String)>,
    /// The minimum and the maximum together ("shortest and longest delivery time").
    pub range: bool,
    /// More figures computed like the measure, beside it ("revenue and profit by region").
    pub also: Vec<String>,
    /// Comparisons of each row's number column with a number ("over 20 kg").
    pub row_filters: Vec<RowFilter>,
    /// Values said with "from"/"to": which side of a pair of columns each is on.
    pub roles: Vec<(String, Role)>,
    /// Rows to list instead of groups ("the 3 most expensive listings").
    pub list: Option<List>,
    /// The column a superlative adjective sorts by ("cheapest" → price).
    pub sort: Option<SortBy>,
    /// The ranking gave a number ("top 5"), so it ranks groups or rows, never an extreme value.
    pub rank_counted: bool,
    /// The grouping was asked as "which X" / "what X".
    pub asked_which: bool,
    /// A grouping was asked "for each X" / "per X": figures within each group.
    pub each_dim: bool,
    /// The word that asked for the ranking ("best").
    pub rank_word: Option<String>,
    /// The word that asked for an extreme ("minimum").
    pub extreme_word: Option<String>,
    /// Each guess the reading made (a default aggregate, a value matched in a long list): each
    /// lowers the confidence and is said in the interpretation.
    pub guesses: Vec<String>,
    /// The window names no year and is not relative to today ("in March"): on data that ends
    /// before it, it means the latest such period in the data.
    pub window_floats: bool,
    /// A relative time ("last month") on data that ended long before it.
    pub stale_relative: bool,
    /// Words taken as part of a name beside them ("market" in "market value").
    pub modifiers: Vec<String>,
    /// The average was chosen because the figure does not add up, not because it was asked.
    pub avg_default: bool,
    pub unknown: Vec<String>,
    pub vague: bool,
    /// Words of the question (for date-column choice).
    pub words: Vec<String>,
}

/// Quoted phrases, and capitalised words after the first word that are not month or day names
/// ("sales of Widget A" → `widget`, `a`): likely names of things the schema model does not list.
fn names(question: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in question.split(['"', '“', '”']).enumerate() {
        if i % 2 == 1 && !part.trim().is_empty() {
            out.push(part.trim().to_lowercase());
        }
    }
    for (i, raw) in question.split(|c: char| c.is_whitespace()).enumerate() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let word = word.strip_suffix("'s").unwrap_or(word);
        let lower = word.to_lowercase();
        let calendar = time::month_number(&lower).is_some()
            || WEEKDAYS.contains(&lower.as_str())
            || matches!(lower.as_str(), "q1" | "q2" | "q3" | "q4" | "i");
        if i > 0 && word.chars().any(char::is_uppercase) && !calendar {
            out.push(lower);
        }
    }
    out
}

/// The offline planner for one database schema.
pub struct Planner {
    model: Model,
}

impl Planner {
    pub fn new(schema: &crate::schema::Schema, dialect: crate::dialect::Dialect) -> Self {
        let mut model = Model::build(schema);
        model.dialect = dialect;
        Self { model }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Plans one question as of `today`.
    pub fn plan(&self, question: &str, today: NaiveDate) -> Plan {
        self.plan_with(question, today, true)
    }

    /// Plans a question; `with_options` also plans its rephrasings (each planned without them,
    /// so this never recurses further).
    fn plan_with(&self, question: &str, today: NaiveDate, with_options: bool) -> Plan {
        let mut words = Words::new(question);
        if wants_change(&words) {
            return Plan {
                sql: None,
                confidence: 1.0,
                interpretation: "This asks to change data.".into(),
                wants_change: true,
                rephrasings: Vec::new(),
                doubt: Doubt::Words,
                topics: self.topics(),
                title: String::new(),
                mappings: Vec::new(),
                slots: Vec::new(),
                freshness: None,
            };
        }
        let all = words.all().to_vec();
        let names = names(question);
        let reading = self.read(&mut words, today, &names);
        let mut plan = self.plan_reading(question, today, with_options, &reading);
        if with_options {
            plan.slots = self.slots_of(&reading, &all, &names, today);
        }
        plan
    }

    /// The plan for `reading`, the reading of `question`.
    fn plan_reading(
        &self,
        question: &str,
        today: NaiveDate,
        with_options: bool,
        reading: &Reading,
    ) -> Plan {
        let understood = reading.measure.is_some()
            || !reading.row_filters.is_empty()
            || reading.list.is_some()
            || !reading.dims.is_empty()
            || !reading.filters.is_empty()
            || reading.window.is_some();
        if !understood {
            let examples = self.examples_for(reading, question, today, with_options);
            return if reading.unknown.is_empty() || reading.vague && reading.unknown.len() <= 1 {
                Plan {
                    sql: None,
                    confidence: 0.5,
                    interpretation: "The question does not say which figure to show.".into(),
                    wants_change: false,
                    rephrasings: examples,
                    doubt: Doubt::Figure,
                    topics: self.topics(),
                    title: String::new(),
                    mappings: Vec::new(),
                    slots: Vec::new(),
                    freshness: None,
                }
            } else {
                self.not_about_this_data(reading, examples)
            };
        }
        match sql::build(&self.model, reading) {
            Ok(built) => {
                let mut confidence: f64 = if reading.measure_implied { 0.85 } else { 0.95 };
                confidence -= 0.25 * reading.unknown.len() as f64;
                confidence -= 0.03 * reading.corrections.len() as f64;
                confidence -= 0.05 * reading.guesses.len() as f64;
                if reading.stale_relative || reading.vague {
                    confidence = confidence.min(0.6);
                }
                // No figure and no grouping named, and words we do not know ("the weather in
                // Paris"): a stored value matched by chance, not a question about this data.
                if reading.measure_implied && reading.dims.is_empty() && !reading.unknown.is_empty()
                {
                    confidence = confidence.min(0.2);
                }
                let mut interpretation = built.interpretation;
                for (from, to) in &reading.corrections {
                    interpretation.push_str(&format!("; read \"{from}\" as \"{to}\""));
                }
                for guess in &reading.guesses {
                    interpretation.push_str(&format!("; {guess}"));
                }
                if !reading.unknown.is_empty() {
                    interpretation.push_str(&format!(
                        "; did not understand \"{}\"",
                        reading.unknown.join(" ")
                    ));
                }
                let freshness = reading
                    .window
                    .as_ref()
                    .zip(self.model.latest)
                    .and_then(|(w, latest)| time::partial_note(w, latest));
                Plan {
                    freshness,
                    rephrasings: self.examples_for(reading, question, today, with_options),
                    doubt: Doubt::Words,
                    topics: self.topics(),
                    sql: Some(built.sql),
                    confidence: confidence.clamp(0.0, 1.0),
                    interpretation,
                    wants_change: false,
                    title: built.title,
                    mappings: built.mappings,
                    slots: Vec::new(),
                }
            }
            // Only a year or a name was recognised among words this data does not know ("who won
            // the world cup in 2018?"): not a question about this data.
            Err(_)
                if (reading.measure_implied || reading.measure.is_none())
                    && reading.dims.is_empty()
                    && reading.unknown.len() >= 2 =>
            {
                let examples = self.examples_for(reading, question, today, with_options);
                self.not_about_this_data(reading, examples)
            }
            Err(why) => Plan {
                sql: None,
                confidence: 0.45,
                interpretation: why,
                wants_change: false,
                rephrasings: self.examples_for(reading, question, today, with_options),
                doubt: Doubt::Table,
                topics: self.topics(),
                title: String::new(),
                mappings: Vec::new(),
                slots: Vec::new(),
                freshness: None,
            },
        }
    }

    /// Nothing in this data matches the words not understood: a reading the router falls back on.
    fn not_about_this_data(&self, reading: &Reading, examples: Vec<Rephrasing>) -> Plan {
        Plan {
            sql: None,
            confidence: 0.1,
            interpretation: format!(
                "Nothing in this data matches \"{}\".",
                reading.unknown.join(" ")
            ),
            wants_change: false,
            rephrasings: examples,
            doubt: Doubt::Data,
            topics: self.topics(),
            title: String::new(),
            mappings: Vec::new(),
            slots: Vec::new(),
            freshness: None,
        }
    }
}

fn push_dim(r: &mut Reading, dim: Dim) {
    if !r.dims.contains(&dim) {
        r.dims.push(dim);
    }
}

/// "more than 20", "at least $1,000", "under 5": marks the words and returns where they start.
fn read_comparison(words: &mut Words, r: &mut Reading) -> Option<usize> {
    for i in words.unused().collect::<Vec<_>>() {
        let w = |k: usize| {
            words
                .get(i + k)
                .filter(|_| !words.used(i + k))
                .unwrap_or("")
        };
        let (cmp, len) = match (w(0), w(1)) {
            ("more" | "greater" | "higher" | "larger" | "bigger", "than") => (Cmp::Above, 2),
            ("over" | "above" | "exceeding" | "exceeds" | "exceeded", _) => (Cmp::Above, 1),
            ("at", "least") | ("no", "less") => (Cmp::AtLeast, 2),
            ("less" | "fewer" | "lower" | "smaller", "than") => (Cmp::Below, 2),
            ("under" | "below", _) => (Cmp::Below, 1),
            ("at", "most") | ("no", "more") => (Cmp::AtMost, 2),
            _ => continue,
        };
        // "no less than" / "no more than" carry a "than" too.
        let len = if w(0) == "no" && w(2) == "than" {
            3
        } else {
            len
        };
        let Some(n) = conditions::parse_amount(w(len)) else {
            continue;
        };
        for k in i..=i + len {
            words.mark(k);
        }
        r.having = Some((cmp, n));
        return Some(i);
    }
    None
}

/// "top 5" → 5 (marks the number).
fn following_number(words: &mut Words, i: usize) -> Option<u32> {
    let w = words.get(i).filter(|_| !words.used(i))?;
    let n = w
        .parse::<u32>()
        .ok()
        .or_else(|| number_word(w).filter(|n| *n <= 10))?;
    words.mark(i);
    (n > 0).then_some(n.min(1000))
}

/// Words that only join others ("of", "than") and carry no meaning once the rest is read.
fn is_connector(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "vs"
            | "versus"
            | "then"
            | "also"
            | "only"
            | "just"
            | "new"
            | "whole"
            | "entire"
            | "compared"
            | "compare"
            | "comparison"
            | "against"
            | "anyone"
            | "anybody"
            | "someone"
            | "ever"
            | "there"
            | "any"
    )
}

/// True when the question asks to change data rather than read it.
fn wants_change(words: &Words) -> bool {
    const ALWAYS: &[&str] = &[
        "delete",
        "drop",
        "truncate",
        "insert",
        "alter",
        "erase",
        "wipe",
        "purge",
        "destroy",
        "overwrite",
    ];
    let first = words.all().iter().find(|w| {
        !matches!(
            w.as_str(),
            "please"
                | "can"
                | "could"
                | "would"
                | "you"
                | "i"
                | "want"
                | "to"
                | "go"
                | "ahead"
                | "and"
                | "now"
                | "just"
        )
    });
    let all = words.all();
    // "the biggest drop in sales" is a decrease, not DROP TABLE: "drop" changes data only as a
    // command (first) or with what it would drop.
    let drops_something = |i: usize| {
        i == 0
            || matches!(
                all.get(i + 1).map(String::as_str),
                Some(
                    "table"
                        | "tables"
                        | "column"
                        | "columns"
                        | "database"
                        | "view"
                        | "index"
                        | "all"
                        | "every"
                        | "them"
                        | "it"
                        | "rows"
                        | "records"
                )
            )
    };
    all.iter()
        .enumerate()
        .any(|(i, w)| ALWAYS.contains(&w.as_str()) && (w != "drop" || drops_something(i)))
        || first.is_some_and(|w| {
            WRITE_VERBS.contains(&w.as_str())
                || matches!(w.as_str(), "change" | "set" | "add" | "create" | "edit")
        })
}

/// Replaces misspelt words with the nearest known word ("revnue" → "revenue").
fn correct_spelling(words: &mut Words, model: &Model) -> Vec<(String, String)> {
    let mut fixes = Vec::new();
    let known = |w: &str| {
        FILLER.contains(&w)
            || VAGUE.contains(&w)
            || model.vocabulary.iter().any(|v| v == w)
            || model.vocabulary.iter().any(|v| *v == singular(w))
            || time_word(w)
            || is_connector(w)
            || lexicon::is_known_word(w)
    };
    let mut replaced = Vec::new();
    for (i, w) in words.all().iter().enumerate() {
        if w.len() < 4 || known(w) || w.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let limit = if w.len() >= 7 { 2 } else { 1 };
        let mut best: Option<(&String, usize)> = None;
        let mut tie = false;
        for v in &model.vocabulary {
            if v.len() < 4 {
                continue;
            }
            let d = strsim::damerau_levenshtein(w, v);
            if d <= limit {
                match best {
                    Some((_, bd)) if d > bd => {}
                    Some((bv, bd)) if d == bd => tie |= bv != v,
                    _ => {
                        best = Some((v, d));
                        tie = false;
                    }
                }
            }
        }
        if let (Some((v, _)), false) = (best, tie) {
            replaced.push((i, v.clone()));
            fixes.push((w.clone(), v.clone()));
        }
    }
    for (i, v) in replaced {
        words.replace(i, &v);
    }
    fixes
}

fn time_word(w: &str) -> bool {
    matches!(
        w,
        "today"
            | "yesterday"
            | "week"
            | "month"
            | "quarter"
            | "year"
            | "weeks"
            | "months"
            | "quarters"
            | "years"
            | "days"
            | "day"
            | "last"
            | "past"
            | "previous"
            | "since"
            | "between"
            | "daily"
            | "weekly"
            | "monthly"
            | "quarterly"
            | "yearly"
            | "annual"
            | "january"
            | "february"
            | "march"
            | "april"
            | "may"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
            | "first"
            | "second"
            | "third"
            | "fourth"
            | "ytd"
            | "mtd"
            | "qtd"
    )
}

#[cfg(test)]
mod tests;
