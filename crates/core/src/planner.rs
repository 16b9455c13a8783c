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
mod extremes;
pub(crate) mod lexicon;
pub(crate) mod model;
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
            };
        }
        let all = words.all().to_vec();
        let reading = self.read(&mut words, today, &names(question));
        let mut plan = self.plan_reading(question, today, with_options, &reading);
        if with_options {
            plan.slots = self.slots_of(&reading, &all, question, today);
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
                Plan {
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
        }
    }

    /// Reads measures, groupings, filters, time and ranking out of the words.
    fn read(&self, words: &mut Words, today: NaiveDate, names: &[String]) -> Reading {
        let mut r = Reading {
            corrections: correct_spelling(words, &self.model),
            ..Reading::default()
        };
        // Synonyms from the thesaurus for words the schema does not know ("gender" → sex).
        let known = |w: &str| {
            FILLER.contains(&w)
                || VAGUE.contains(&w)
                || time_word(w)
                || is_connector(w)
                || lexicon::is_known_word(w)
                || lexicon::MEASURE_SYNONYMS
                    .iter()
                    .chain(ENTITY_SYNONYMS)
                    .any(|g| g.contains(&w))
        };
        for (from, to) in thesaurus::apply(words, &self.model, &known) {
            r.guesses.push(format!("read \"{from}\" as \"{to}\""));
        }
        r.words = words.all().to_vec();
        // Data that ends well before today (last year's export): a month or weekday without a
        // year means the one in the data, said in the interpretation; "last month" stays
        // relative to today but is doubtful, so it is asked about rather than answered empty.
        let stale = self
            .model
            .latest
            .filter(|l| *l + chrono::Days::new(45) < today);
        let relative = words.all().iter().any(|w| {
            matches!(
                w.as_str(),
                "last"
                    | "this"
                    | "past"
                    | "previous"
                    | "ytd"
                    | "mtd"
                    | "qtd"
                    | "today"
                    | "yesterday"
                    | "current"
                    | "recent"
                    | "ago"
            )
        });
        r.window = time::extract(words, today);
        if let (Some(latest), Some(w), true) = (stale, &r.window, relative) {
            r.guesses
                .push(format!("this data ends on {latest}, before {}", w.said));
            r.stale_relative = true;
        }
        // A month without a year on data that ends before it: the same month in the data
        // (moved by the table chosen, see sql::build).
        r.window_floats = !relative
            && !words.all().iter().any(|w| {
                w.len() == 4 && w.parse::<u32>().is_ok_and(|y| (1900..=2200).contains(&y))
            });
        // "in March and April": the months together, a row for each.
        if let Some(w) = r.window.clone() {
            let more: Vec<usize> = words
                .unused()
                .filter(|&k| {
                    words
                        .get(k)
                        .is_some_and(|x| x.len() >= 3 && time::month_number(x).is_some())
                })
                .collect();
            if !more.is_empty() && w.end - w.start <= chrono::Duration::days(31) {
                let mut start = w.start;
                let mut end = w.end;
                for k in more {
                    let m = time::month_number(words.get(k).unwrap_or_default()).unwrap_or(1);
                    if let Some(s) =
                        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&w.start), m, 1)
                    {
                        start = start.min(s);
                        end = end.max(s + chrono::Months::new(1));
                        words.mark(k);
                    }
                }
                let said = format!("{} and the other months named", w.said);
                r.window = Some(Window {
                    start,
                    end,
                    meaning: time::describe(start, end),
                    said,
                });
                push_dim(&mut r, Dim::Grain(Grain::Month));
            }
        }

        // Derived measures and fixed phrases first, longest first.
        for phrase in [
            &["average", "order", "value"][..],
            &["avg", "order", "value"],
            &["average", "order", "size"],
            &["aov"],
            &["average", "basket"],
        ] {
            if words.take(phrase).is_some() {
                r.measure = Some(Measure::OrderValue);
            }
        }
        for phrase in [
            &["profit", "margin"][..],
            &["gross", "margin"],
            &["margin", "%"],
            &["margin", "percentage"],
            &["margin", "rate"],
            &["margins"],
        ] {
            if r.measure.is_none() && words.take(phrase).is_some() {
                r.measure = Some(Measure::Margin);
            }
        }
        // Per-entity averages: "average revenue per customer".
        self.read_per_entity(words, &mut r);
        // Shares of the total: "share of revenue by region", "what percentage of orders were refunded".
        for phrase in [
            &["share", "of"][..],
            &["share"],
            &["percentage", "of"],
            &["percentage"],
            &["percent", "of"],
            &["percent"],
            &["%", "of"],
            &["proportion", "of"],
            &["proportion"],
            &["fraction", "of"],
        ] {
            if words.take(phrase).is_some() {
                r.share = true;
            }
        }
        // Period-over-period change: "month over month", "yoy", "revenue growth by year".
        for (phrase, grain) in [
            (&["month", "over", "month"][..], Some(Grain::Month)),
            (&["mom"], Some(Grain::Month)),
            (&["year", "over", "year"], Some(Grain::Year)),
            (&["yoy"], Some(Grain::Year)),
            (&["quarter", "over", "quarter"], Some(Grain::Quarter)),
            (&["week", "over", "week"], Some(Grain::Week)),
            (&["growth"], None),
            (&["grow"], None),
            (&["grown"], None),
            (&["change"], None),
            (&["changed"], None),
        ] {
            if words.take(phrase).is_some() {
                r.change = true;
                if let Some(g) = grain {
                    push_dim(&mut r, Dim::Grain(g));
                }
            }
        }
        // Comparisons on a named number column: "over 20 kg", "price between 10 and 20".
        self.read_row_filters(words, &mut r);
        // Comparisons on a group's figure: "more than 20 orders", "at least $1,000".
        let compared_at = read_comparison(words, &mut r);
        for phrase in [
            &["best", "selling"][..],
            &["top", "selling"],
            &["best", "sellers"],
            &["best", "seller"],
            &["sold", "the", "most"],
            &["most", "sold"],
            &["most", "popular"],
        ] {
            if let Some(i) = words.take(phrase) {
                let n = following_number(words, i + phrase.len())
                    .or_else(|| i.checked_sub(1).and_then(|k| following_number(words, k)));
                r.rank = Some((Order::Desc, n.unwrap_or(1)));
                r.measure.get_or_insert(Measure::Sum {
                    word: "quantity".into(),
                });
            }
        }
        for phrase in [
            &["worst", "selling"][..],
            &["least", "sold"],
            &["sold", "the", "least"],
            &["least", "popular"],
        ] {
            if let Some(i) = words.take(phrase) {
                let n = following_number(words, i + phrase.len())
                    .or_else(|| i.checked_sub(1).and_then(|k| following_number(words, k)));
                r.rank = Some((Order::Asc, n.unwrap_or(1)));
                r.measure.get_or_insert(Measure::Sum {
                    word: "quantity".into(),
                });
            }
        }
        if words.take(&["units", "sold"]).is_some() || words.take(&["items", "sold"]).is_some() {
            r.measure.get_or_insert(Measure::Sum {
                word: "quantity".into(),
            });
        }

        // Extremes and superlatives: "minimum price", "cheapest", "most expensive".
        self.read_extremes(words, &mut r);

        // Ranking: "top 5", "the best", "highest", "lowest 3".
        if r.rank.is_none() {
            for i in words.unused().collect::<Vec<_>>() {
                let w = words.get(i).unwrap_or_default().to_string();
                let order = if DESCENDING.contains(&w.as_str()) {
                    Order::Desc
                } else if ASCENDING.contains(&w.as_str()) {
                    Order::Asc
                } else {
                    continue;
                };
                words.mark(i);
                let n = following_number(words, i + 1)
                    .or_else(|| i.checked_sub(1).and_then(|k| following_number(words, k)));
                // "top products" without a number shows ten; "top customer", "the best", "highest" one.
                let plural_next = words.get(i + 1).is_some_and(|next| singular(next) != next);
                let default = if matches!(w.as_str(), "top" | "bottom") && plural_next {
                    10
                } else {
                    1
                };
                // "which 3 clients placed the most orders": the number stands before the entity.
                let n = n.or_else(|| {
                    let k = words.unused().find(|&k| {
                        words
                            .get(k)
                            .and_then(|x| x.parse::<u32>().ok())
                            .is_some_and(|x| (1..=1000).contains(&x))
                            && self.dim_at(words, k + 1).is_some()
                    })?;
                    following_number(words, k)
                });
                r.rank_counted = n.is_some();
                r.rank_word = Some(w.clone());
                r.rank = Some((order, n.unwrap_or(default)));
                break;
            }
        }

        // Filters: stored values named in the question ("West", "online", "refunded"), and
        // Yes/No columns named by their subject ("members").
        self.read_filters(words, &mut r, names);
        self.read_flags(words, &mut r);
        self.read_name_prefixes(words, &mut r, names);

        // Groupings.
        self.read_dims(words, &mut r);
        if r.change && !r.dims.iter().any(|d| matches!(d, Dim::Grain(_))) {
            push_dim(&mut r, Dim::Grain(Grain::Month));
        }
        // A comparison is about the groups of the entity named before it: "customers with more than …".
        if let Some(at) =
            compared_at.filter(|_| !r.dims.iter().any(|d| matches!(d, Dim::Column { .. })))
        {
            for k in (0..at).rev() {
                // A figure's own column is compared, not grouped by.
                if words.get(k).is_some_and(|w| {
                    self.model
                        .measure_columns(w)
                        .first()
                        .is_some_and(|c| c.2 >= 4)
                }) {
                    continue;
                }
                if let Some(dim @ Dim::Column { .. }) = self.dim_at(words, k) {
                    words.mark(k);
                    push_dim(&mut r, dim);
                    break;
                }
            }
        }

        // Measures named by a word.
        self.read_measures(words, &mut r);
        // "the worst delay" is the highest: best and worst follow what the figure measures.
        if let (Some((order, n)), Some("best" | "worst")) = (r.rank, r.rank_word.as_deref()) {
            let word = match &r.measure {
                Some(
                    Measure::Sum { word }
                    | Measure::Avg { word }
                    | Measure::Min { word }
                    | Measure::Max { word },
                ) => Some(word.clone()),
                _ => None,
            };
            let columns = word
                .map(|w| self.model.measure_columns(&w))
                .unwrap_or_default();
            let bad = columns.first().is_some_and(|(_, c, _)| {
                model::name_words(c)
                    .iter()
                    .any(|p| lexicon::WORSE_WHEN_HIGHER.contains(&p.as_str()))
            });
            if bad {
                r.rank = Some((
                    if order == Order::Desc {
                        Order::Asc
                    } else {
                        Order::Desc
                    },
                    n,
                ));
            }
        }
        self.settle_ranking(words, &mut r);
        // "which products sold over 200 units": with groups and no other figure, the comparison
        // is on each group's total.
        if !r.dims.is_empty()
            && r.having.is_none()
            && r.measure.is_none()
            && r.list.is_none()
            && r.row_filters.len() == 1
            && !extremes::non_additive(&r.row_filters[0].word)
        {
            let f = r.row_filters.remove(0);
            r.having = Some((f.cmp, f.value));
            r.measure = Some(Measure::Sum { word: f.word });
        }
        // Only a comparison ("revenue more than 100"): of which rows, and what to show? The
        // figure is shown and the comparison said as not understood.
        let counting = {
            let text = r.words.join(" ");
            text.contains("how many")
                || text.contains("number of")
                || r.words.iter().any(|w| w == "count")
        };
        if r.measure.is_none() && r.list.is_none() && r.row_filters.len() == 1 && !counting {
            let f = r.row_filters.remove(0);
            r.unknown.push(format!("{} {}", f.cmp.words(), f.value));
            r.measure = Some(Measure::Sum { word: f.word });
        }
        // "when was AMZN at its lowest price": the row of the extreme, with its date.
        if let (Some(k), true) = (words.find(&["when"]), r.dims.is_empty()) {
            if let Some(Measure::Min { word } | Measure::Max { word }) = r.measure.clone() {
                let order = if matches!(r.measure, Some(Measure::Min { .. })) {
                    Order::Asc
                } else {
                    Order::Desc
                };
                words.mark(k);
                r.list = Some(List {
                    order,
                    n: 1,
                    by: SortBy::Column(word),
                    entity: None,
                });
                r.measure = None;
            }
        }
        // A ranking with nothing to rank ("which diamonds are the best?") was not understood.
        if r.rank.is_some()
            && r.dims.is_empty()
            && r.list.is_none()
            && !matches!(r.measure, Some(Measure::Min { .. } | Measure::Max { .. }))
        {
            r.rank = None;
            r.unknown
                .push(r.rank_word.clone().unwrap_or_else(|| "ranking".into()));
        }
        // "how many members", "number of flights on Tuesday": count the rows being filtered.
        let text = r.words.join(" ");
        if r.measure.is_none()
            && r.list.is_none()
            && (text.contains("how many")
                || text.contains("number of")
                || r.words.iter().any(|w| w == "count"))
        {
            let table = r
                .filters
                .first()
                .map(|f| f.table.clone())
                .or_else(|| {
                    r.row_filters
                        .first()
                        .and_then(|f| self.model.measure_columns(&f.word).into_iter().next())
                        .map(|c| c.0)
                })
                .or_else(|| self.fact_table().map(|t| t.name.clone()));
            if let Some(t) = table.and_then(|t| self.model.table(&t)) {
                r.measure = Some(Measure::Count {
                    entity: t.entity.clone(),
                    with_orders: false,
                    new: false,
                });
            }
        }

        if r.measure.is_none()
            && r.list.is_none()
            && (!r.dims.is_empty()
                || r.rank.is_some()
                || !r.filters.is_empty()
                || r.window.is_some())
        {
            if let Some(word) = self.default_money_word() {
                r.measure = Some(Measure::Sum { word });
                r.measure_implied = true;
            }
        }

        // The table's own entity names the rows being measured: "average price of *parcels*
        // over 20 kg".
        let measured: Vec<String> = match &r.measure {
            Some(
                Measure::Sum { word }
                | Measure::Avg { word }
                | Measure::Min { word }
                | Measure::Max { word },
            ) => self
                .model
                .measure_columns(word)
                .into_iter()
                .map(|(t, _, _)| t)
                .collect(),
            _ => Vec::new(),
        };
        let filtered: Vec<String> = r
            .row_filters
            .iter()
            .flat_map(|f| self.model.measure_columns(&f.word))
            .map(|(t, _, _)| t)
            .collect();
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default();
            if self
                .model
                .entity_table(w)
                .is_some_and(|t| measured.contains(&t.name) || filtered.contains(&t.name))
            {
                words.mark(i);
            }
        }
        // An entity word beside a filter on its table was part of the filter: "online customers".
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default();
            if let Some(t) = self.model.entity_table(w) {
                let entity = t.entity.clone();
                if r.filters.iter().any(|f| {
                    self.model.table(&f.table).is_some_and(|ft| {
                        ft.entity == entity || ft.has(&format!("{entity}_id")) || ft.has(&entity)
                    })
                }) {
                    words.mark(i);
                }
            }
        }
        // A comparison or share with nothing to compare across was not understood.
        if r.dims.is_empty() {
            if let Some((cmp, n)) = r.having.take() {
                // "orders over $100": with no groups, the comparison is on each row's figure.
                let word = match &r.measure {
                    Some(Measure::Sum { word } | Measure::Avg { word })
                        if !self.model.measure_columns(word).is_empty() =>
                    {
                        Some(word.clone())
                    }
                    _ => self
                        .default_money_word()
                        .filter(|w| !self.model.measure_columns(w).is_empty())
                        .or_else(|| {
                            // "AMZN above 100": the one figure the table has.
                            let t = r
                                .filters
                                .first()
                                .and_then(|f| self.model.table(&f.table))
                                .or_else(|| self.fact_table())?;
                            (t.measures.len() == 1).then(|| t.measures[0].clone())
                        }),
                };
                match word {
                    Some(word) => {
                        r.guesses.push(format!(
                            "\"{} {n}\" compares each row's {}",
                            cmp.words(),
                            word.replace('_', " ")
                        ));
                        r.row_filters.push(RowFilter {
                            word,
                            cmp,
                            value: n,
                        });
                    }
                    None => r.unknown.push(format!("{} {n}", cmp.words())),
                }
            }
        }
        if r.share && r.dims.is_empty() && r.filters.is_empty() {
            r.share = false;
            r.unknown.push("share".into());
        }
        // Words of the table's own name name the rows ("employment" in `us_employment`).
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default();
            if !FILLER.contains(&w) && w.len() >= 3 && self.table_named_by(w).is_some() {
                words.mark(i);
            }
        }
        // A modifier just before a word that was understood ("market value", "party size"):
        // a guess that the column is meant, unless the schema uses the modifier elsewhere (then
        // it tells columns apart: "gross" vs "net" weight).
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default().to_string();
            let next_understood = words.used(i + 1)
                && words
                    .get(i + 1)
                    .is_some_and(|n| !FILLER.contains(&n) && !is_connector(n));
            let prev_understood = i > 0
                && words.used(i - 1)
                && words
                    .get(i - 1)
                    .is_some_and(|n| !FILLER.contains(&n) && !is_connector(n));
            let contrasting = self
                .model
                .vocabulary
                .iter()
                .any(|v| *v == w || *v == singular(&w));
            if (next_understood || prev_understood)
                && !contrasting
                && !FILLER.contains(&w.as_str())
                && !VAGUE.contains(&w.as_str())
                && !is_connector(&w)
                && w.chars().all(char::is_alphabetic)
            {
                // Not marked: an unread word lowers the confidence; the clarify options offer
                // the question without it.
                r.modifiers.push(w);
            }
        }
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default();
            if w == "number" && matches!(words.get(i + 1), Some("of")) {
                continue;
            }
            // "data" in "months of data" is filler, not vagueness.
            if FILLER.contains(&w)
                && VAGUE.contains(&w)
                && (r.measure.is_some() || r.list.is_some())
            {
                continue;
            }
            // "diamonds that weigh over 2 carats", "total miles flown": the verb of a figure read.
            let read_figure = r.measure.is_some() || !r.row_filters.is_empty() || r.list.is_some();
            if RECORD_WORDS.contains(&w) && read_figure {
                continue;
            }
            if (lexicon::MEASURE_VERBS.contains(&w) || lexicon::EVENT_VERBS.contains(&w))
                && read_figure
            {
                continue;
            }
            // "clarity grades", "origin airport": the kind of value a grouping holds.
            let after_dim = i > 0
                && words.used(i - 1)
                && words
                    .get(i - 1)
                    .is_some_and(|p| !self.model.dim_columns(p).is_empty());
            if lexicon::CLASS_NOUNS.contains(&w) && after_dim {
                r.guesses.push(format!(
                    "read \"{} {w}\" as {}",
                    words.get(i - 1).unwrap_or_default(),
                    words.get(i - 1).unwrap_or_default()
                ));
                continue;
            }
            // "market value", "list price": a qualifier of the money figure named next.
            if lexicon::MONEY_QUALIFIERS.contains(&w)
                && words.used(i + 1)
                && words
                    .get(i + 1)
                    .is_some_and(|n| !self.model.measure_columns(n).is_empty())
            {
                r.guesses.push(format!(
                    "read \"{w} {}\" as {}",
                    words.get(i + 1).unwrap_or_default(),
                    words.get(i + 1).unwrap_or_default()
                ));
                continue;
            }
            // "carat weight": the kind of figure the unit before it measures.
            let unit_kind = i > 0
                && words.used(i - 1)
                && lexicon::UNITS.iter().any(|(u, kinds)| {
                    words.get(i - 1).is_some_and(|p| singular(p) == *u)
                        && kinds.contains(&singular(w).as_str())
                });
            if unit_kind {
                continue;
            }
            if VAGUE.contains(&w) {
                r.vague = true;
            } else if !FILLER.contains(&w) && !is_connector(w) {
                r.unknown.push(w.to_string());
            }
        }
        r
    }

    fn read_filters(&self, words: &mut Words, r: &mut Reading, names: &[String]) {
        let mut i = 0;
        while i < words.len() {
            let mut matched = 0;
            for len in (1..=3).rev() {
                if i + len > words.len() || (i..i + len).any(|k| words.used(k)) {
                    continue;
                }
                let phrase = (i..i + len)
                    .filter_map(|k| words.get(k))
                    .collect::<Vec<_>>()
                    .join(" ");
                // A single word that names a table, an entity or a measure is that, not a stored value
                // (northwind's "Customers" relationship value must not swallow "top 5 customers").
                if len == 1
                    && (FILLER.contains(&phrase.as_str())
                        || self.model.entity_table(&phrase).is_some()
                        || self.model.can_measure(&phrase))
                {
                    continue;
                }
                // "refunds" finds the stored "refunded": a single word by its stem too.
                let stemmed = (len == 1 && phrase.len() >= 5)
                    .then(|| model::stem(&phrase))
                    .filter(|s| s.len() >= 4);
                let found = self
                    .model
                    .values
                    .get(&phrase)
                    .or_else(|| stemmed.as_ref().and_then(|st| self.model.stems.get(st)));
                if let Some(refs) = found {
                    // A value from a long list ("Japan" among 142 countries) only when said as a
                    // name or in several words: "best" or "may" in a column of titles is chance.
                    let indexed = refs.iter().all(|v| {
                        self.model
                            .indexed
                            .contains(&(v.table.clone(), v.column.clone()))
                    });
                    if indexed
                        && len == 1
                        && (!names.contains(&phrase)
                            || lexicon::is_known_word(&phrase)
                            || time_word(&phrase)
                            || VAGUE.contains(&phrase.as_str()))
                    {
                        continue;
                    }
                    if indexed {
                        r.guesses.push(format!(
                            "\"{phrase}\" found among the values of {}",
                            refs[0].column
                        ));
                    }
                    r.filters.extend(refs.iter().cloned());
                    if let Some(role) = conditions::role_before(words, i) {
                        r.roles.push((phrase.clone(), role));
                    }
                    for k in i..i + len {
                        words.mark(k);
                    }
                    // Swallow the word naming the value's column or entity: "West region", "online customers".
                    for k in [i.wrapping_sub(1), i + len] {
                        if let Some(w) = words.get(k).filter(|_| !words.used(k)) {
                            let sing = singular(w);
                            let names_column = refs.iter().any(|v| {
                                v.column.eq_ignore_ascii_case(&sing)
                                    || v.column.eq_ignore_ascii_case(w)
                            });
                            if names_column {
                                words.mark(k);
                            }
                        }
                    }
                    matched = len;
                    break;
                }
            }
            i += matched.max(1);
        }
        // One value in several tables is one filter per table; table choice keeps the right one.
    }

    /// A capitalised name that starts exactly one stored value ("Delta" → "Delta Air Lines
    /// Inc."): that value, as a guess said in the interpretation.
    fn read_name_prefixes(&self, words: &mut Words, r: &mut Reading, names: &[String]) {
        for i in words.unused().collect::<Vec<_>>() {
            let Some(w) = words.get(i).map(str::to_string) else {
                continue;
            };
            if !names.contains(&w) || w.len() < 3 {
                continue;
            }
            let prefix = format!("{w} ");
            let matches: Vec<&model::ValueRef> = self
                .model
                .values
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .flat_map(|(_, refs)| refs)
                .collect();
            let distinct: std::collections::BTreeSet<(&str, &str, &str)> = matches
                .iter()
                .map(|v| (v.table.as_str(), v.column.as_str(), v.value.as_str()))
                .collect();
            if distinct.len() == 1 {
                let v = matches[0].clone();
                r.guesses.push(format!(
                    "read \"{}\" as \"{}\"",
                    words.get(i).unwrap_or_default(),
                    v.value
                ));
                words.mark(i);
                r.filters.push(v);
            }
        }
    }

    /// "average X per Y" where Y is an entity: SUM(X) / COUNT(DISTINCT Y).
    fn read_per_entity(&self, words: &mut Words, r: &mut Reading) {
        for i in words.unused().collect::<Vec<_>>() {
            if !matches!(words.get(i), Some("average" | "avg" | "mean")) {
                continue;
            }
            let (Some(x), Some("per"), Some(y)) =
                (words.get(i + 1), words.get(i + 2), words.get(i + 3))
            else {
                continue;
            };
            if [i + 1, i + 2, i + 3].iter().any(|k| words.used(*k))
                || self.model.measure_columns(x).is_empty()
            {
                continue;
            }
            let entity = canonical(ENTITY_SYNONYMS, y).map_or_else(|| singular(y), str::to_string);
            // Only where one table has the figure and identifies the entity; otherwise "average X
            // per Y" reads as the average of X for each Y.
            let measured: Vec<String> = self
                .model
                .measure_columns(x)
                .into_iter()
                .map(|(t, _, _)| t)
                .collect();
            let known = self.model.tables.iter().any(|t| {
                measured.contains(&t.name)
                    && (t.has(&format!("{entity}_id"))
                        || t.dims.iter().any(|d| d.eq_ignore_ascii_case(&entity)))
            });
            if !known {
                continue;
            }
            let word = x.to_string();
            for k in i..=i + 3 {
                words.mark(k);
            }
            r.measure = Some(Measure::PerEntity { word, entity });
            return;
        }
    }

    fn read_dims(&self, words: &mut Words, r: &mut Reading) {
        // Grain adjectives anywhere: "monthly revenue", "daily orders".
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default();
            let grain = match w {
                "daily" => Some(Grain::Day),
                "weekly" => Some(Grain::Week),
                "monthly" => Some(Grain::Month),
                "quarterly" => Some(Grain::Quarter),
                "yearly" | "annual" | "annually" => Some(Grain::Year),
                _ => None,
            };
            if let Some(g) = grain {
                words.mark(i);
                push_dim(r, Dim::Grain(g));
            }
        }
        // "revenue trend", "sales over time": a monthly series.
        for phrase in [
            &["trend"][..],
            &["trends"],
            &["over", "time"],
            &["trending"],
        ] {
            if words.take(phrase).is_some() && r.dims.is_empty() {
                push_dim(r, Dim::Grain(Grain::Month));
            }
        }
        // "by X (and Y)", "per X", "for each X", "which X", "what X", "top 5 X".
        let mut i = 0;
        while i < words.len() {
            let w = words.get(i).unwrap_or_default().to_string();
            let introduces = matches!(
                w.as_str(),
                "by" | "per" | "each" | "every" | "across" | "which" | "what" | "among"
            ) && !words.used(i);
            if introduces {
                let before = r.dims.len();
                let mut k = i + 1;
                while matches!(
                    words.get(k),
                    Some("the" | "a" | "each" | "our" | "their" | "individual")
                ) {
                    k += 1;
                }
                // Two words naming one thing: "media type" (MediaType), "sales rep", "customer segment".
                let joined = match (words.get(k), words.get(k + 1)) {
                    (Some(a), Some(b)) if !words.used(k) && !words.used(k + 1) => {
                        let compound = format!("{a}_{b}");
                        // "customer segment": a column of the customer's own table, named after it.
                        let of_entity = self.model.entity_table(a).is_some_and(|t| {
                            t.all_columns.iter().any(|c| c.eq_ignore_ascii_case(b))
                        });
                        if !self.model.dim_columns(&compound).is_empty() {
                            Some(Dim::Column { word: compound })
                        } else if let Some(column) = self.abbreviated_dim(&[a, b]) {
                            // "grade span" → `grspan`.
                            Some(Dim::Column { word: column })
                        } else if (of_entity || self.dim_at(words, k).is_none()) && !time_word(b) {
                            self.dim_at(words, k + 1)
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if let Some(dim) = joined {
                    words.mark(i);
                    words.mark(k);
                    words.mark(k + 1);
                    push_dim(r, dim);
                } else if let Some(dim) = self.dim_at(words, k) {
                    words.mark(i);
                    words.mark(k);
                    push_dim(r, dim);
                    // "by region and channel"
                    if matches!(words.get(k + 1), Some("and" | "then")) {
                        if let Some(second) = self.dim_at(words, k + 2) {
                            words.mark(k + 1);
                            words.mark(k + 2);
                            push_dim(r, second);
                        }
                    }
                }
                if r.dims.len() > before && matches!(w.as_str(), "which" | "what") {
                    r.asked_which = true;
                }
                if r.dims.len() > before && matches!(w.as_str(), "each" | "every" | "per") {
                    r.each_dim = true;
                }
            }
            i += 1;
        }
        // With a ranking, the entity being ranked is the grouping: "top 5 products", "best month".
        if r.rank.is_some() && r.dims.is_empty() && r.sort.is_none() {
            for k in words.unused().collect::<Vec<_>>() {
                // A figure is what is ranked by, never the thing ranked.
                if words.get(k).is_some_and(|w| {
                    self.model
                        .measure_columns(w)
                        .first()
                        .is_some_and(|c| c.2 >= 4)
                }) {
                    continue;
                }
                if let Some(dim) = self.dim_at(words, k) {
                    words.mark(k);
                    push_dim(r, dim);
                    break;
                }
            }
        }
    }

    /// A grouping named by the word at `k`, if any.
    fn dim_at(&self, words: &Words, k: usize) -> Option<Dim> {
        let w = words.get(k).filter(|_| !words.used(k))?;
        if let Some((_, g)) = GRAINS.iter().find(|(ws, _)| ws.contains(&w)) {
            // A column named by the time word in a table with no date ("day" holding "Thur",
            // "month" holding "Jan") is a grouping like any other.
            let sing = lexicon::singular(w);
            let no_dates = self.model.tables.iter().all(|t| t.dates.is_empty());
            let own_column = no_dates
                && self
                    .model
                    .tables
                    .iter()
                    .any(|t| t.dims.iter().any(|d| d.eq_ignore_ascii_case(&sing)));
            if !own_column {
                return Some(Dim::Grain(*g));
            }
            return Some(Dim::Column { word: sing });
        }
        if !self.model.dim_columns(w).is_empty() {
            return Some(Dim::Column {
                word: w.to_string(),
            });
        }
        // A grouping whose name abbreviates the word ("continent" → `cont`).
        if FILLER.contains(&w) {
            return None;
        }
        self.abbreviated_dim(&[w]).map(|word| Dim::Column { word })
    }

    /// The one grouping column whose name abbreviates these words ("grade span" → `grspan`).
    fn abbreviated_dim(&self, phrase: &[&str]) -> Option<String> {
        let found: Vec<&String> = self
            .model
            .tables
            .iter()
            .flat_map(|t| t.dims.iter())
            .filter(|d| model::abbreviates(&model::name_words(d), phrase))
            .collect();
        found
            .first()
            .filter(|f| found.iter().all(|g| g == *f))
            .map(|d| (*d).clone())
    }

    fn read_measures(&self, words: &mut Words, r: &mut Reading) {
        if r.measure.is_some() {
            // A second money word ("revenue" in "top 5 products by revenue") is the same measure.
            if let Some(Measure::Sum { word }) = &r.measure {
                let word = word.clone();
                for i in words.unused().collect::<Vec<_>>() {
                    let w = words.get(i).unwrap_or_default();
                    if w == word
                        || canonical(lexicon::MEASURE_SYNONYMS, w)
                            .is_some_and(|c| Some(c) == canonical(lexicon::MEASURE_SYNONYMS, &word))
                    {
                        words.mark(i);
                    }
                }
            }
            return;
        }
        if self.read_count(words, r) {
            return;
        }
        // "average X"
        for i in words.unused().collect::<Vec<_>>() {
            if matches!(words.get(i), Some("average" | "avg" | "mean")) {
                // "average invoice total", "average product price": the entity says whose figure.
                if let (Some(e), Some(m)) = (words.get(i + 1), words.get(i + 2)) {
                    if !words.used(i + 1)
                        && !words.used(i + 2)
                        && self.model.entity_table(e).is_some()
                        && !self.model.measure_columns(m).is_empty()
                    {
                        let entity = self.model.entity_table(e).map(|t| t.entity.clone());
                        let word = m.to_string();
                        for k in i..=i + 2 {
                            words.mark(k);
                        }
                        r.measure = Some(Measure::Avg { word });
                        r.measure_entity = entity;
                        return;
                    }
                }
                // "average unit price" → unit_price before "unit"; "average market value".
                // "average number of unemployed": the count words were read by `read_count`.
                let mut at = i + 1;
                while words.used(at) && matches!(words.get(at), Some("number" | "of")) {
                    at += 1;
                }
                let qualified = words
                    .get(at)
                    .is_some_and(|q| lexicon::MONEY_QUALIFIERS.contains(&q));
                let found = self
                    .measure_phrase_at(words, at)
                    .or_else(|| {
                        qualified
                            .then(|| {
                                self.measure_phrase_at(words, at + 1)
                                    .map(|(w, l)| (w, l + 1))
                            })
                            .flatten()
                    })
                    .map(|(w, l)| (w, l + at - i - 1));
                if let Some((w, len)) = found {
                    for k in i..=i + len {
                        words.mark(k);
                    }
                    r.measure = Some(Measure::Avg { word: w });
                    self.read_also(words, r, i + len + 1);
                    return;
                }
            }
        }
        // A measure word: "sales", "revenue", "profit", "units".
        for i in words.unused().collect::<Vec<_>>() {
            // A name of several words first ("total bill" → `total_bill`), even when its first
            // word alone is filler.
            // ...and a name that abbreviates the word ("population" → `pop`), when nothing names
            // the word itself.
            let said = words.get(i).unwrap_or_default().to_string();
            let phrase = self
                .measure_phrase_at(words, i)
                .filter(|(_, len)| *len > 1)
                .or_else(|| {
                    let other_meaning = self.model.entity_table(&said).is_some()
                        || self.table_named_by(&said).is_some()
                        || !self.model.dim_columns(&said).is_empty()
                        || self.model.values.contains_key(&said);
                    (!FILLER.contains(&said.as_str())
                        && !self.model.can_measure(&said)
                        && !other_meaning)
                        .then(|| self.abbreviated_measure_at(words, i))
                        .flatten()
                });
            let (w, len) = match phrase {
                Some(found) => found,
                None => {
                    let w = words.get(i).unwrap_or_default().to_string();
                    let w = if w == "margin" {
                        "profit".to_string()
                    } else {
                        w
                    };
                    // A filler word is a figure only when a qualifier says so ("market value").
                    let qualified = i > 0
                        && words
                            .get(i - 1)
                            .is_some_and(|q| lexicon::MONEY_QUALIFIERS.contains(&q))
                        && self
                            .model
                            .measure_columns(&w)
                            .first()
                            .is_some_and(|c| c.2 >= 4);
                    if FILLER.contains(&w.as_str()) && !qualified || !self.model.can_measure(&w) {
                        continue;
                    }
                    // "orders" counts the orders table's rows; it is not the part of a column
                    // name it shares (`UnitsOnOrder`).
                    let best = self.model.measure_columns(&w).first().map_or(0, |c| c.2);
                    if self.model.entity_table(&w).is_some()
                        && best < 3
                        && canonical(lexicon::MEASURE_SYNONYMS, &w).is_none()
                    {
                        continue;
                    }
                    (w, 1)
                }
            };
            for k in i..i + len {
                words.mark(k);
            }
            // A price or a rate does not add up: averaged unless "total" or "sum" is said.
            let summed = words.unused().any(|k| {
                matches!(
                    words.get(k),
                    Some("total" | "sum" | "sums" | "totals" | "combined")
                )
            });
            if extremes::non_additive(&w) && !summed && !self.model.measure_columns(&w).is_empty() {
                r.guesses.push(format!(
                    "{} is averaged, since it does not add up",
                    w.replace('_', " ")
                ));
                r.measure = Some(Measure::Avg { word: w });
                r.avg_default = true;
                return;
            }
            // Mark repeats and synonyms ("sales … by revenue" is one measure).
            let canon = canonical(lexicon::MEASURE_SYNONYMS, &w)
                .unwrap_or(&w)
                .to_string();
            for j in words.unused().collect::<Vec<_>>() {
                let other = words.get(j).unwrap_or_default();
                if other == w || canonical(lexicon::MEASURE_SYNONYMS, other) == Some(canon.as_str())
                {
                    words.mark(j);
                }
            }
            r.measure = Some(Measure::Sum { word: w });
            self.read_also(words, r, i + len);
            return;
        }
        // Counting an entity: "how many orders", "number of customers", "orders per month".
        for i in words.unused().collect::<Vec<_>>() {
            let w = words.get(i).unwrap_or_default().to_string();
            // "in the Rock genre": the entity word names the filter's own table, not a count.
            if self.model.entity_table(&w).is_some_and(|t| {
                r.filters
                    .iter()
                    .any(|f| f.table == t.name && t.name_columns.contains(&f.column))
            }) {
                continue;
            }
            if self.model.entity_table(&w).is_some()
                || self
                    .model
                    .tables
                    .iter()
                    .any(|t| t.has(&format!("{}_id", singular(&w))))
                    && canonical(ENTITY_SYNONYMS, &w).is_some()
            {
                let entity =
                    canonical(ENTITY_SYNONYMS, &w).map_or_else(|| singular(&w), str::to_string);
                words.mark(i);
                let mut new = false;
                for phrase in [
                    &["signed", "up"][..],
                    &["sign", "ups"],
                    &["signups"],
                    &["signup"],
                    &["new"],
                    &["joined"],
                    &["registered"],
                    &["acquired"],
                ] {
                    new |= words.take(phrase).is_some();
                }
                let mut with_orders = false;
                for phrase in [
                    &["placed", "orders"][..],
                    &["placed", "an", "order"],
                    &["placed", "order"],
                    &["made", "a", "purchase"],
                    &["made", "purchases"],
                    &["made", "an", "order"],
                    &["made", "orders"],
                    &["who", "ordered"],
                    &["ordered"],
                    &["who", "bought"],
                    &["bought"],
                    &["purchased"],
                    &["active"],
                    &["did", "we", "get"],
                    &["we", "got"],
                    &["placed"],
                    &["received"],
                    &["get"],
                    &["got"],
                ] {
                    with_orders |= words.take(phrase).is_some();
                }
                r.measure = Some(Measure::Count {
                    entity,
                    with_orders,
                    new,
                });
                return;
            }
        }
    }

    /// "how many flights", "number of bills", "how many different destinations": a count of
    /// rows, or of distinct values of a column, never a sum of a column that happens to share
    /// the word (a flight *number*). Counts of things that are counts ("how many units") are
    /// left to the sum.
    fn read_count(&self, words: &mut Words, r: &mut Reading) -> bool {
        let at = words
            .find(&["how", "many"])
            .or_else(|| words.find(&["number", "of"]))
            .map(|i| i + 2);
        let Some(mut k) = at else { return false };
        // "average number of staff", "the highest number of unemployed": a figure of a column of
        // counts, not a count of rows.
        if k >= 3
            && matches!(
                words.get(k - 3),
                Some(
                    "average"
                        | "avg"
                        | "mean"
                        | "total"
                        | "highest"
                        | "lowest"
                        | "maximum"
                        | "minimum"
                        | "max"
                        | "min"
                        | "largest"
                        | "smallest"
                        | "peak"
                )
            )
        {
            words.mark(k - 2);
            words.mark(k - 1);
            return false;
        }
        let mut distinct = false;
        while let Some(
            w @ ("different" | "distinct" | "unique" | "separate" | "individual" | "the" | "of"),
        ) = words.get(k)
        {
            distinct |= w != "the" && w != "of";
            k += 1;
        }
        let Some(w) = words.get(k).filter(|_| !words.used(k)).map(str::to_string) else {
            return false;
        };
        // "how many months had …", "in how many years": distinct periods of the date.
        if let Some((_, grain)) = GRAINS
            .iter()
            .find(|(ws, _)| ws.contains(&w.as_str()) && w.ends_with('s'))
        {
            if self.model.tables.iter().any(|t| !t.dates.is_empty()) {
                words.mark(k);
                r.measure = Some(Measure::Periods { grain: *grain });
                return true;
            }
        }
        // "how many different origin cities": a grouping named by two words.
        if let Some(next) = words.get(k + 1).filter(|_| !words.used(k + 1)) {
            let compound = format!("{w}_{}", singular(next));
            if let Some((_, cols)) = self.model.dim_columns(&compound).into_iter().next() {
                words.mark(k);
                words.mark(k + 1);
                r.measure = Some(Measure::Count {
                    entity: cols[0].clone(),
                    with_orders: false,
                    new: false,
                });
                return true;
            }
        }
        let sing = singular(&w);
        if self.model.entity_table(&w).is_some() {
            return false; // the entity count below handles its own table
        }
        let table_of = |w: &str| {
            self.table_named_by(w).or_else(|| {
                RECORD_WORDS
                    .contains(&w)
                    .then(|| self.fact_table())
                    .flatten()
            })
        };
        let dim = self.model.dim_columns(&w).into_iter().next();
        let entity = if let (Some((_, cols)), None) = (&dim, table_of(&w)) {
            // A column's distinct values: "how many firms", "how many different destinations".
            let _ = distinct;
            cols[0].clone()
        } else if let Some(t) = table_of(&w) {
            t.entity.clone()
        } else if let Some((table, col, _)) = self.model.measure_columns(&w).into_iter().next() {
            let countable = model::name_words(&col).iter().any(|p| {
                matches!(
                    p.as_str(),
                    "quantity"
                        | "units"
                        | "count"
                        | "number"
                        | "items"
                        | "people"
                        | "passengers"
                        | "seats"
                        | "employees"
                        | "visitors"
                )
            });
            if countable || canonical(lexicon::MEASURE_SYNONYMS, &sing) == Some("quantity") {
                return false;
            }
            // "how many bills were over $20": rows of the table holding the bill.
            r.guesses
                .push(format!("\"{w}\" counted as rows of {table}"));
            self.model
                .table(&table)
                .map(|t| t.entity.clone())
                .unwrap_or_default()
        } else {
            return false;
        };
        if entity.is_empty() {
            return false;
        }
        words.mark(k);
        r.measure = Some(Measure::Count {
            entity,
            with_orders: false,
            new: false,
        });
        true
    }

    /// "government and private employment": a second figure named right after the first,
    /// computed the same way beside it.
    fn read_also(&self, words: &mut Words, r: &mut Reading, at: usize) {
        let mut k = at;
        while matches!(words.get(k), Some("and")) && !words.used(k) {
            let Some((w, len)) = self
                .measure_phrase_at(words, k + 1)
                .filter(|(w, _)| self.names_column(w))
            else {
                break;
            };
            for j in k..=k + len {
                words.mark(j);
            }
            r.also.push(w);
            k += len + 1;
        }
    }

    /// The table a word names by its own name ("employment" → `us_employment`, "flights").
    pub(super) fn table_named_by(&self, w: &str) -> Option<&model::TableModel> {
        let sing = singular(w);
        let st = model::stem(w);
        self.model.tables.iter().filter(|t| !t.is_view).find(|t| {
            t.entity == sing
                || model::name_words(&t.name)
                    .iter()
                    .any(|p| *p == sing || *p == w || model::stem(p) == st)
        })
    }

    /// The money measure a ranking or grouping uses when no measure is named.
    fn default_money_word(&self) -> Option<String> {
        ["revenue", "sales", "amount", "total"]
            .into_iter()
            .find(|w| self.model.can_measure(w))
            .map(str::to_string)
    }

    /// What this database can answer, in words: "revenue, profit and units".
    fn topics(&self) -> String {
        let fact = self.fact_table();
        let measures: Vec<String> = fact
            .map(|t| {
                t.measures
                    .iter()
                    .take(4)
                    .map(|m| model::name_words(m).join(" "))
                    .collect()
            })
            .unwrap_or_default();
        if measures.is_empty() {
            "the tables in this database".into()
        } else {
            measures.join(", ")
        }
    }

    /// The table or view with the most measures (views first): the natural subject of questions.
    fn fact_table(&self) -> Option<&model::TableModel> {
        self.model
            .tables
            .iter()
            .filter(|t| !t.measures.is_empty() && !t.dates.is_empty())
            .max_by_key(|t| (t.measures.len(), t.is_view, t.dims.len()))
            // A spreadsheet with no dates: the table with the most figures.
            .or_else(|| {
                self.model
                    .tables
                    .iter()
                    .filter(|t| !t.measures.is_empty())
                    .max_by_key(|t| (t.measures.len(), t.dims.len()))
            })
    }

    /// The rephrasings this planner writes SQL for on this data, with the confidence each plans
    /// at: the question without the words it did not read, then its figure (or the data's main
    /// figures) by the main grouping, over time and in total. Each is planned here; which of them
    /// are offered (those it would answer, at most three) is the router's choice.
    fn examples_for(
        &self,
        r: &Reading,
        question: &str,
        today: NaiveDate,
        with_options: bool,
    ) -> Vec<Rephrasing> {
        if !with_options {
            return Vec::new();
        }
        let mut candidates = Vec::new();
        let unread: Vec<&String> = r.unknown.iter().chain(&r.modifiers).collect();
        if !unread.is_empty() {
            let kept: Vec<String> = Words::new(question)
                .all()
                .iter()
                .filter(|w| !unread.iter().any(|u| u.split(' ').any(|p| p == w.as_str())))
                .cloned()
                .collect();
            candidates.push(kept.join(" "));
        }
        let fact = self.fact_table();
        let said = |w: &str| w.replace('_', " ");
        let mut measures: Vec<String> = Vec::new();
        match &r.measure {
            Some(
                Measure::Sum { word }
                | Measure::Avg { word }
                | Measure::Min { word }
                | Measure::Max { word },
            ) => {
                measures.push(said(word));
            }
            Some(Measure::Count { entity, .. }) => {
                measures.push(format!("number of {}", lexicon::plural(&said(entity))));
            }
            _ => {}
        }
        if let Some(f) = fact {
            measures.extend(
                f.measures
                    .iter()
                    .take(2)
                    .map(|m| model::name_words(m).join(" ")),
            );
        }
        let dim = r
            .dims
            .iter()
            .find_map(|d| match d {
                Dim::Column { word } => Some(said(word)),
                Dim::Grain(_) => None,
            })
            .or_else(|| {
                let f = fact?;
                let low_card = f.dims.iter().find(|d| {
                    self.model
                        .values
                        .values()
                        .flatten()
                        .any(|v| v.table == f.name && &v.column == *d)
                });
                low_card
                    .or_else(|| f.dims.first())
                    .map(|d| model::name_words(d).join(" "))
            });
        let dated = fact.is_some_and(|f| !f.dates.is_empty());
        for m in &measures {
            if let Some(d) = &dim {
                candidates.push(format!("{m} by {d}"));
            }
            if dated {
                candidates.push(format!("{m} by month"));
            }
            candidates.push(format!("total {m}"));
        }
        let mut out: Vec<Rephrasing> = Vec::new();
        for c in candidates {
            if c.trim().is_empty()
                || out.iter().any(|o| o.question == c)
                || c.eq_ignore_ascii_case(question.trim())
            {
                continue;
            }
            let plan = self.plan_with(&c, today, false);
            if plan.sql.is_some() {
                out.push(Rephrasing {
                    question: c,
                    confidence: plan.confidence,
                });
            }
        }
        out
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
