//! Row conditions beyond "a stored value named in the question": comparisons on a number
//! column ("parcels over 20 kg", "bills between $10 and $20", "at least 3 items"), Yes/No flags
//! named by their column ("members", "non-smokers"), and the roles of two columns that share
//! values ("from Lyon to Porto" → origin, destination). Column words are matched through the
//! schema model; nothing here knows a table by name.

use super::lexicon::{singular, MEASURE_VERBS, VERB_KINDS};
use super::model::name_words;
use super::words::Words;
use super::{Cmp, Planner, Reading};

/// A comparison of each row's value of a column with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct RowFilter {
    /// A measure word the model resolves to a numeric column.
    pub word: String,
    pub cmp: Cmp,
    pub value: f64,
}

/// Which side of a pair of columns a value is on ("from X" / "to Y").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    From,
    To,
}

impl Role {
    /// Words of a column name that mark the side.
    pub fn column_words(self) -> &'static [&'static str] {
        match self {
            Self::From => &[
                "origin",
                "from",
                "source",
                "departure",
                "start",
                "sender",
                "pickup",
                "home",
                "origination",
            ],
            Self::To => &[
                "destination",
                "to",
                "target",
                "arrival",
                "end",
                "recipient",
                "dropoff",
                "away",
                "dest",
            ],
        }
    }
}

/// A number as people write it: "20", "$1,200" (commas already gone), "15%", "1.5k", "2m".
pub fn parse_amount(w: &str) -> Option<f64> {
    let w = w.trim_start_matches('$').trim_end_matches('%');
    let (digits, scale) = match w.char_indices().last()? {
        (i, 'k') => (&w[..i], 1e3),
        (i, 'm') => (&w[..i], 1e6),
        _ => (w, 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(|x| x * scale)
}

/// A comparison word (or two) at `i`: the comparison and how many words it took.
fn comparison_at(words: &Words, i: usize) -> Option<(Cmp, usize)> {
    let w = |k: usize| {
        words
            .get(i + k)
            .filter(|_| !words.used(i + k))
            .unwrap_or("")
    };
    let (cmp, len) = match (w(0), w(1)) {
        (
            "more" | "greater" | "higher" | "larger" | "bigger" | "heavier" | "longer" | "older",
            "than",
        ) => (Cmp::Above, 2),
        ("over" | "above" | "exceeding" | "exceeds" | "exceeded", _) => (Cmp::Above, 1),
        ("at", "least") | ("no", "less") | ("minimum", "of") => (Cmp::AtLeast, 2),
        (
            "less" | "fewer" | "lower" | "smaller" | "lighter" | "shorter" | "younger" | "cheaper",
            "than",
        ) => (Cmp::Below, 2),
        ("under" | "below", _) => (Cmp::Below, 1),
        ("at", "most") | ("no", "more") | ("maximum", "of") | ("up", "to") => (Cmp::AtMost, 2),
        _ => return None,
    };
    let len = if w(0) == "no" && w(2) == "than" {
        3
    } else {
        len
    };
    Some((cmp, len))
}

impl Planner {
    /// The number column a comparison at `start..end` (number included) is about: the unit after
    /// the number ("20 kg"), or the figure named just before ("price over 100", "with a weight of
    /// at least 3").
    fn compared_column(
        &self,
        words: &Words,
        start: usize,
        end: usize,
    ) -> Option<(String, Vec<usize>)> {
        if let Some((word, len)) = self
            .measure_phrase_at(words, end)
            .filter(|(w, _)| self.names_column(w))
        {
            return Some((word, (end..end + len).collect()));
        }
        let mut k = start;
        while k > 0
            && (matches!(
                words.get(k - 1),
                Some(
                    "is" | "are"
                        | "was"
                        | "were"
                        | "of"
                        | "a"
                        | "with"
                        | "that"
                        | "where"
                        | "whose"
                        | "had"
                        | "have"
                        | "has"
                )
            ) || words
                .get(k - 1)
                .is_some_and(|w| MEASURE_VERBS.contains(&w) || self.table_named_by(w).is_some()))
        {
            k -= 1;
        }
        // "diamonds that cost more than $10,000": the verb names the kind of figure.
        for j in k..start {
            let Some(w) = words.get(j) else { continue };
            if let Some((_, kinds)) = VERB_KINDS.iter().find(|(verbs, _)| verbs.contains(&w)) {
                if let Some(col) = kinds
                    .iter()
                    .find_map(|kind| self.model.measure_columns(kind).into_iter().next())
                {
                    return Some((col.1, vec![j]));
                }
            }
        }
        for len in (1..=3).rev() {
            let Some(from) = k.checked_sub(len) else {
                continue;
            };
            if let Some((word, l)) = self
                .measure_phrase_at(words, from)
                .filter(|(_, l)| *l == len)
            {
                if self.names_column(&word) {
                    return Some((word, (from..from + l).collect()));
                }
            }
        }
        None
    }

    /// A measure word that names a column itself, not only a synonym of money.
    pub(super) fn names_column(&self, word: &str) -> bool {
        self.model
            .measure_columns(word)
            .first()
            .is_some_and(|c| c.2 >= 2)
    }

    /// Comparisons of a named number column with a number, as row conditions. Runs before the
    /// comparisons on groups ("customers with more than 20 orders"), which keep what is left.
    pub(super) fn read_row_filters(&self, words: &mut Words, r: &mut Reading) {
        for i in words.unused().collect::<Vec<_>>() {
            if words.used(i) {
                continue;
            }
            // "between 10 and 20"
            if words.get(i) == Some("between") {
                let (Some(a), Some("and"), Some(b)) = (
                    words.get(i + 1).and_then(parse_amount),
                    words.get(i + 2),
                    words.get(i + 3).and_then(parse_amount),
                ) else {
                    continue;
                };
                if let Some((word, at)) = self.compared_column(words, i, i + 4) {
                    for k in (i..i + 4).chain(at) {
                        words.mark(k);
                    }
                    r.row_filters.push(RowFilter {
                        word: word.clone(),
                        cmp: Cmp::AtLeast,
                        value: a.min(b),
                    });
                    r.row_filters.push(RowFilter {
                        word,
                        cmp: Cmp::AtMost,
                        value: a.max(b),
                    });
                }
                continue;
            }
            // "2 carats or more", "5 or fewer items".
            if let Some(value) = words
                .get(i)
                .filter(|_| !words.used(i))
                .and_then(parse_amount)
            {
                let unit = self
                    .measure_phrase_at(words, i + 1)
                    .filter(|(w, _)| self.names_column(w));
                let after = i + 1 + unit.as_ref().map_or(0, |(_, l)| *l);
                let cmp = match (words.get(after), words.get(after + 1)) {
                    (Some("or"), Some("more" | "over" | "above" | "greater" | "higher")) => {
                        Some(Cmp::AtLeast)
                    }
                    (Some("or"), Some("less" | "fewer" | "under" | "below" | "lower")) => {
                        Some(Cmp::AtMost)
                    }
                    _ => None,
                };
                if let Some(cmp) = cmp {
                    let column = unit
                        .map(|(w, l)| (w, (i + 1..i + 1 + l).collect::<Vec<_>>()))
                        .or_else(|| self.compared_column(words, i, i));
                    if let Some((word, at)) = column {
                        for k in (i..after + 2).chain(at) {
                            words.mark(k);
                        }
                        r.row_filters.push(RowFilter { word, cmp, value });
                        continue;
                    }
                }
            }
            let Some((cmp, len)) = comparison_at(words, i) else {
                continue;
            };
            let Some(value) = words
                .get(i + len)
                .filter(|_| !words.used(i + len))
                .and_then(parse_amount)
            else {
                continue;
            };
            if let Some((word, at)) = self.compared_column(words, i, i + len + 1) {
                for k in (i..=i + len).chain(at) {
                    words.mark(k);
                }
                r.row_filters.push(RowFilter { word, cmp, value });
            }
        }
    }

    /// Yes/No columns named by their subject: "members" → `is_member = 'Yes'`, "non-smokers" →
    /// `smoker = 'No'`.
    pub(super) fn read_flags(&self, words: &mut Words, r: &mut Reading) {
        for i in words.unused().collect::<Vec<_>>() {
            let Some(w) = words.get(i) else { continue };
            let sing = singular(w);
            let Some(flag) = self
                .model
                .flags
                .iter()
                .find(|f| f.word == sing || f.word == w)
            else {
                continue;
            };
            let negated = i > 0
                && matches!(
                    words.get(i - 1),
                    Some("non" | "not" | "no" | "without" | "excluding")
                );
            let value = if negated {
                flag.no.clone()
            } else {
                Some(flag.yes.clone())
            };
            let Some(value) = value else { continue };
            words.mark(i);
            if negated {
                words.mark(i - 1);
            }
            r.filters.push(super::model::ValueRef {
                table: flag.table.clone(),
                column: flag.column.clone(),
                value,
            });
        }
    }
}

/// The role a value plays, from the word before it ("from", "to").
pub fn role_before(words: &Words, i: usize) -> Option<Role> {
    match i.checked_sub(1).and_then(|k| words.get(k)) {
        Some("from" | "out") => Some(Role::From),
        Some("to" | "into" | "towards") => Some(Role::To),
        _ => None,
    }
}

/// How well a column's name fits a role (0 = not at all).
pub fn role_fit(column: &str, role: Role) -> u8 {
    let parts = name_words(column);
    u8::from(
        parts
            .iter()
            .any(|p| role.column_words().contains(&p.as_str())),
    )
}
