//! Extremes and single records: "minimum price" is one figure (MIN, never a SUM), "highest
//! price for each cut" is a figure per group, and "the 3 most expensive listings", "the heaviest
//! parcel", "the 10 most recent refunds" list rows, not groups. Superlative adjectives name the
//! column they sort by through [`SUPERLATIVES`] and [`COMPARATIVE_ADJECTIVES`], matched against
//! the expanded words of the schema's columns, never against a table by name.

use super::lexicon::{singular, COMPARATIVE_ADJECTIVES, FILLER, RECORD_WORDS, SUPERLATIVES};
use super::model::name_words;
use super::words::Words;
use super::{following_number, Dim, Measure, Order, Planner, Reading};

/// What a list of records is sorted by.
#[derive(Debug, Clone, PartialEq)]
pub enum SortBy {
    /// A numeric column, named by a word the model resolves ("price", "weight").
    Column(String),
    /// The table's date ("most recent", "earliest").
    Date,
}

/// A ranking of individual records: `ORDER BY … LIMIT n` over rows, not groups.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub order: Order,
    pub n: u32,
    pub by: SortBy,
    /// The entity whose rows are listed ("listings"), when named: its table is preferred.
    pub entity: Option<String>,
}

/// Explicit aggregate words: these always mean MIN/MAX of the figure, never a ranking.
const EXPLICIT_MIN: &[&str] = &["minimum", "min"];
const EXPLICIT_MAX: &[&str] = &["maximum", "max"];

impl Planner {
    /// The numeric column a superlative's column words name in this schema ("price" for
    /// "cheapest"), as a word [`super::model::Model::measure_columns`] resolves exactly.
    fn column_for(&self, kinds: &[&str]) -> Option<String> {
        kinds.iter().find_map(|kind| {
            self.model
                .tables
                .iter()
                .flat_map(|t| t.measures.iter())
                .find(|m| {
                    name_words(m)
                        .iter()
                        .any(|p| p == kind || singular(p) == *kind)
                })
                .cloned()
        })
    }

    /// A figure named by one to three unused words starting at `k` ("unit price", "tip"): the
    /// word (joined with `_`) and how many words it took.
    pub(super) fn measure_phrase_at(&self, words: &Words, k: usize) -> Option<(String, usize)> {
        for len in (1..=3).rev() {
            if (k..k + len).any(|j| words.used(j) || words.get(j).is_none()) {
                continue;
            }
            // A name abbreviating several words ("life expectancy" ~ `lifeExp`) before one of
            // those words alone matches a part of it.
            if len == 1 {
                if let Some(found) = self
                    .abbreviated_measure_at(words, k)
                    .filter(|(_, l)| *l > 1)
                {
                    return Some(found);
                }
            }
            let phrase: Vec<&str> = (k..k + len).filter_map(|j| words.get(j)).collect();
            let joined = phrase.join("_");
            let columns = self.model.measure_columns(&joined);
            // One word may match loosely (a part of a name); several words must name the column.
            let fits = if len == 1 {
                !columns.is_empty()
            } else {
                columns.first().is_some_and(|c| c.2 >= 4)
            };
            if fits {
                return Some((joined, len));
            }
        }
        self.abbreviated_measure_at(words, k)
    }

    /// A figure whose name abbreviates the words at `k` ("population" → `pop`, "life
    /// expectancy" → `lifeExp`): the column's own name and how many words it took.
    pub(super) fn abbreviated_measure_at(
        &self,
        words: &Words,
        k: usize,
    ) -> Option<(String, usize)> {
        for len in (1..=4).rev() {
            if (k..k + len).any(|j| words.used(j) || words.get(j).is_none()) {
                continue;
            }
            let phrase: Vec<&str> = (k..k + len).filter_map(|j| words.get(j)).collect();
            let edge_is_filler = |w: &str| {
                FILLER.contains(&w) || super::lexicon::is_known_word(w) || w.parse::<f64>().is_ok()
            };
            if phrase.first().is_some_and(|w| edge_is_filler(w))
                || phrase.last().is_some_and(|w| edge_is_filler(w))
            {
                continue;
            }
            let found: Vec<&String> = self
                .model
                .tables
                .iter()
                .flat_map(|t| t.measures.iter())
                .filter(|m| {
                    // Either order for two words: `enrltot` is "total enrollment".
                    let parts = name_words(m);
                    let reversed: Vec<&str> = phrase.iter().rev().copied().collect();
                    super::model::abbreviates(&parts, &phrase)
                        || phrase.len() == 2 && super::model::abbreviates(&parts, &reversed)
                })
                .collect();
            if let Some(first) = found.first().filter(|f| found.iter().all(|g| g == *f)) {
                return Some(((*first).clone(), len));
            }
        }
        None
    }

    /// A date column named by the word at `k` ("earliest order date").
    fn date_phrase_at(&self, words: &Words, k: usize) -> Option<(String, usize)> {
        for len in (1..=2).rev() {
            if (k..k + len).any(|j| words.used(j) || words.get(j).is_none()) {
                continue;
            }
            let joined = (k..k + len)
                .filter_map(|j| words.get(j))
                .collect::<Vec<_>>()
                .join("_");
            let named = self
                .model
                .tables
                .iter()
                .flat_map(|t| t.dates.iter())
                .any(|d| {
                    let parts = name_words(d);
                    parts.join("_") == joined
                        || (len == 1
                            && parts
                                .first()
                                .is_some_and(|p| *p == joined || singular(&joined) == *p))
                });
            if named && joined != "date" {
                return Some((joined, len));
            }
        }
        None
    }

    /// Runs before rankings: explicit MIN/MAX of a figure, and superlative adjectives that say
    /// which column to sort by.
    pub(super) fn read_extremes(&self, words: &mut Words, r: &mut Reading) {
        // "shortest and longest delivery time", "min and max price": both, beside each other.
        const LOW: &[&str] = &[
            "min", "minimum", "lowest", "smallest", "shortest", "earliest", "cheapest", "least",
        ];
        const HIGH: &[&str] = &[
            "max", "maximum", "highest", "largest", "biggest", "longest", "latest", "most",
        ];
        for i in words.unused().collect::<Vec<_>>() {
            let (Some(a), Some("and" | "or" | "to"), Some(b)) =
                (words.get(i), words.get(i + 1), words.get(i + 2))
            else {
                continue;
            };
            let pair =
                LOW.contains(&a) && HIGH.contains(&b) || HIGH.contains(&a) && LOW.contains(&b);
            let mut k = i + 3;
            while matches!(words.get(k), Some("the" | "a")) {
                k += 1;
            }
            if let (true, Some((word, len))) = (pair, self.measure_phrase_at(words, k)) {
                for j in i..k + len {
                    words.mark(j);
                }
                r.measure = Some(Measure::Min { word });
                r.range = true;
                break;
            }
        }
        for i in words.unused().collect::<Vec<_>>() {
            if words.used(i) {
                continue;
            }
            let w = words.get(i).unwrap_or_default().to_string();
            // "minimum price", "max delay", "earliest ship date".
            let explicit = if EXPLICIT_MIN.contains(&w.as_str())
                || w == "earliest"
                || w == "lowest"
                || w == "smallest"
            {
                Some(Order::Asc)
            } else if EXPLICIT_MAX.contains(&w.as_str())
                || w == "latest"
                || w == "peak"
                || w == "highest"
                || w == "largest"
                || w == "biggest"
            {
                Some(Order::Desc)
            } else {
                None
            };
            // "the 5 biggest bills" ranks rows; only an unnumbered extreme is one figure.
            let numbered = i
                .checked_sub(1)
                .and_then(|k| words.get(k))
                .is_some_and(|p| {
                    p.parse::<u32>().is_ok() || super::lexicon::number_word(p).is_some()
                });
            if let (Some(order), None, false) = (explicit, &r.measure, numbered) {
                let mut k = i + 1;
                // "the highest number of unemployed": the figure after the count words.
                while matches!(words.get(k), Some("the" | "a" | "number" | "of" | "amount")) {
                    k += 1;
                }
                let found = self
                    .measure_phrase_at(words, k)
                    .or_else(|| self.date_phrase_at(words, k));
                let strong = EXPLICIT_MIN.contains(&w.as_str())
                    || EXPLICIT_MAX.contains(&w.as_str())
                    || w == "earliest"
                    || w == "latest";
                // "highest price": MIN/MAX unless the question ranks groups ("which cut has the
                // highest price", "top 5"); the settle step decides those once groups are read.
                if let Some((word, len)) = found {
                    if strong || !self.asks_which(words) {
                        for j in i..k + len {
                            words.mark(j);
                        }
                        r.measure = Some(if order == Order::Asc {
                            Measure::Min { word }
                        } else {
                            Measure::Max { word }
                        });
                        r.extreme_word = Some(w.clone());
                        continue;
                    }
                }
            }
            // "cheapest", "heaviest", "most expensive", "most recent".
            let (order, kinds, len): (Order, &[&str], usize) =
                if let Some((_, desc, kinds)) = SUPERLATIVES.iter().find(|(s, _, _)| *s == w) {
                    (if *desc { Order::Desc } else { Order::Asc }, kinds, 1)
                } else if matches!(w.as_str(), "most" | "least") {
                    let Some(adj) = words.get(i + 1).filter(|_| !words.used(i + 1)) else {
                        continue;
                    };
                    let Some((_, kinds)) = COMPARATIVE_ADJECTIVES.iter().find(|(a, _)| *a == adj)
                    else {
                        continue;
                    };
                    (if w == "most" { Order::Desc } else { Order::Asc }, kinds, 2)
                } else if matches!(w.as_str(), "newest" | "latest" | "earliest" | "oldest") {
                    (
                        if matches!(w.as_str(), "newest" | "latest") {
                            Order::Desc
                        } else {
                            Order::Asc
                        },
                        &[],
                        1,
                    )
                } else {
                    continue;
                };
            // "longest wait": the figure named right after the adjective decides.
            // "most delayed departures": a column that fits both the adjective and the noun.
            let both = self
                .measure_phrase_at(words, i + len)
                .and_then(|(noun, l)| {
                    let noun_cols: Vec<String> = self
                        .model
                        .measure_columns(&noun)
                        .into_iter()
                        .map(|c| c.1)
                        .collect();
                    let fit = noun_cols
                        .into_iter()
                        .find(|c| name_words(c).iter().any(|p| kinds.iter().any(|k| p == k)))?;
                    Some((fit, l))
                });
            let named = both.or_else(|| {
                self.measure_phrase_at(words, i + len)
                    .filter(|(w, _)| self.names_column(w))
            });
            let by = if let Some((word, l)) = named.clone() {
                for j in i + len..i + len + l {
                    words.mark(j);
                }
                SortBy::Column(word)
            } else if kinds.is_empty() {
                SortBy::Date
            } else if let Some(col) = self.column_for(kinds) {
                SortBy::Column(col)
            } else if matches!(w.as_str(), "oldest" | "latest") {
                SortBy::Date
            } else {
                // The schema has no column the adjective can mean: leave it unread.
                continue;
            };
            if by == SortBy::Date && !self.model.tables.iter().any(|t| !t.dates.is_empty()) {
                continue;
            }
            for j in i..i + len {
                words.mark(j);
            }
            // "the heaviest diamond in carats": a word naming the same column is the unit.
            if let SortBy::Column(col) = &by {
                for k in words.unused().collect::<Vec<_>>() {
                    let w = words.get(k).unwrap_or_default();
                    if !FILLER.contains(&w)
                        && self.model.measure_columns(w).iter().any(|c| c.1 == *col)
                    {
                        words.mark(k);
                    }
                }
            }
            let n = i
                .checked_sub(1)
                .and_then(|k| following_number(words, k))
                .or_else(|| following_number(words, i + len));
            r.rank = Some((order, n.unwrap_or(1)));
            r.rank_counted = n.is_some();
            r.rank_word = Some(w.clone());
            r.sort = Some(by);
        }
    }

    /// "which X", "what X": the question ranks groups.
    fn asks_which(&self, words: &Words) -> bool {
        (0..words.len()).any(|k| {
            matches!(words.get(k), Some("which" | "what")) && self.dim_named_near(words, k + 1)
        })
    }

    fn dim_named_near(&self, words: &Words, k: usize) -> bool {
        (k..k + 2).any(|j| {
            words.get(j).is_some_and(|w| {
                !self.model.dim_columns(w).is_empty() || self.model.entity_table(w).is_some()
            })
        })
    }

    /// Runs after groupings and measures: a ranking with no groups lists records or becomes
    /// an extreme value; "highest X by Y" is the extreme of X within each Y.
    pub(super) fn settle_ranking(&self, words: &mut Words, r: &mut Reading) {
        let Some((order, n)) = r.rank else { return };
        // The entity whose rows a ranking lists: "diamonds", "records", or the table of a
        // grouping that is really that table's own name ("the 3 most expensive products").
        let noun = words.unused().find_map(|k| {
            let w = words.get(k)?;
            if RECORD_WORDS.contains(&w) {
                return Some((k, None));
            }
            self.model
                .entity_table(w)
                .map(|t| (k, Some(t.entity.clone())))
        });
        let own_dim = match r.dims.as_slice() {
            [Dim::Column { word }] => self
                .model
                .entity_table(word)
                .filter(|t| t.name_columns.len() == 1)
                .map(|t| t.entity.clone()),
            _ => None,
        };
        let summed = match &r.measure {
            Some(Measure::Sum { word }) if !r.measure_implied => Some(word.clone()),
            Some(Measure::Avg { word }) if r.avg_default => Some(word.clone()),
            _ => None,
        };
        let by = r
            .sort
            .clone()
            .or_else(|| summed.clone().map(SortBy::Column));
        // "the 5 largest single-year investments", "individual orders": rows, whatever grain.
        let single = words
            .unused()
            .find(|&k| matches!(words.get(k), Some("single" | "individual")));
        if let (Some(k), Some(_)) = (single, &by) {
            words.mark(k);
            r.dims.retain(|d| !matches!(d, Dim::Grain(_)));
        }
        if let Some(by) = by {
            let whole_rows = r.dims.is_empty()
                && (noun.is_some() || n > 1 || r.sort.is_some() || single.is_some());
            if whole_rows || own_dim.is_some() && r.sort.is_some() {
                if let Some((k, _)) = noun {
                    words.mark(k);
                }
                let entity = own_dim.or_else(|| noun.and_then(|(_, e)| e));
                r.dims.clear();
                r.list = Some(List {
                    order,
                    n,
                    by,
                    entity,
                });
                r.measure = None;
                r.measure_implied = false;
                r.avg_default = false;
                r.guesses.retain(|g| !g.contains("averaged"));
                r.rank = None;
                return;
            }
        }
        // "highest price" with nothing to group: the extreme value.
        let extreme = |r: &mut Reading, word: String| {
            r.measure = Some(if order == Order::Asc {
                Measure::Min { word }
            } else {
                Measure::Max { word }
            });
            r.rank = None;
            r.avg_default = false;
            r.guesses.retain(|g| !g.contains("averaged"));
        };
        if r.dims.is_empty() {
            if let Some(word) = summed {
                extreme(r, word);
            }
            return;
        }
        // "highest price by cut": the extreme within each group when the figure does not add up
        // and no number of groups was asked for.
        if !r.rank_counted && !r.asked_which {
            if let Some(word) = summed.filter(|w| r.each_dim || non_additive(w)) {
                // "highest yearly investment for each firm": the extreme of each year's total,
                // or of the rows? Asked about, not guessed.
                if r.dims.iter().any(|d| matches!(d, Dim::Grain(_))) && r.dims.len() > 1 {
                    r.unknown.push(r.rank_word.clone().unwrap_or_default());
                }
                extreme(r, word);
            }
        }
    }
}

pub(crate) use super::model::non_additive;
