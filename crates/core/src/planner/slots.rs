//! What makes two wordings of a question ask for different answers (the answer cache's slots),
//! from the planner's reading of it.

use chrono::NaiveDate;

use super::lexicon::{self, number_word, singular, WEEKDAYS};
use super::{Dim, Measure, Planner, Reading};

impl Planner {
    /// What makes two wordings of a question ask for *different* answers, for the answer cache:
    /// the measure, groupings, filter values, the resolved time window, ranking, comparisons,
    /// every number, negated words ("not online") and names the planner does not know
    /// (capitalised or quoted words). Two questions may share a cached answer only when these
    /// are equal. Sorted, so word order does not matter.
    pub fn slots(&self, question: &str, today: NaiveDate) -> Vec<String> {
        self.plan(question, today).slots
    }

    /// [`Self::slots`] from the reading of a question whose words are `all` and whose names
    /// (capitalised or quoted words) are `names`.
    pub(super) fn slots_of(
        &self,
        r: &Reading,
        all: &[String],
        names: &[String],
        today: NaiveDate,
    ) -> Vec<String> {
        let mut slots = Vec::new();
        // Synonyms and plurals read as one word, so "sales by products" and "revenue per
        // product" have equal slots.
        let word = |w: &str| lexicon::canonical_word(w);
        if let Some(m) = &r.measure {
            slots.push(match m {
                Measure::Sum { word: w } => format!("measure=sum:{}", word(w)),
                Measure::Avg { word: w } => format!("measure=avg:{}", word(w)),
                Measure::Min { word: w } => format!("measure=min:{}", word(w)),
                Measure::Max { word: w } => format!("measure=max:{}", word(w)),
                Measure::PerEntity { word: w, entity } => {
                    format!("measure=per:{}:{}", word(w), word(entity))
                }
                Measure::Count {
                    entity,
                    with_orders,
                    new,
                } => format!("measure=count:{}:{with_orders}:{new}", word(entity)),
                other => format!("measure={other:?}"),
            });
        }
        for d in &r.dims {
            slots.push(match d {
                Dim::Column { word: w } => format!("by={}", word(w)),
                Dim::Grain(g) => format!("by={g:?}"),
            });
        }
        for f in &r.filters {
            slots.push(format!(
                "filter={}.{}={}",
                f.table,
                f.column,
                f.value.to_lowercase()
            ));
        }
        if let Some(w) = &r.window {
            slots.push(format!("window={}..{}", w.start, w.end));
        }
        if let Some((order, n)) = r.rank {
            slots.push(format!("rank={order:?}{n}"));
        }
        if let Some(l) = &r.list {
            slots.push(format!("list={:?}{}:{:?}", l.order, l.n, l.by));
        }
        if let Some((cmp, x)) = r.having {
            slots.push(format!("having={cmp:?}{x}"));
        }
        if r.share {
            slots.push("share".into());
        }
        if r.change {
            slots.push("change".into());
        }
        for (i, w) in all.iter().enumerate() {
            if w.chars().any(|c| c.is_ascii_digit()) {
                slots.push(format!("number={w}"));
            } else if let Some(n) = number_word(w) {
                slots.push(format!("number={n}"));
            }
            if matches!(
                w.as_str(),
                "not" | "no" | "non" | "excluding" | "except" | "without" | "excl"
            ) {
                if let Some(next) = all.get(i + 1) {
                    slots.push(format!("not={}", singular(next)));
                }
            }
        }
        // Words that change what is asked without being a figure or a value: "and" vs "or",
        // "how many" vs "which", "before" vs "after", "only", "never".
        const LOGIC: &[&str] = &[
            "and", "or", "both", "either", "neither", "nor", "only", "never", "before", "after",
            "first", "least",
        ];
        for w in all.iter().filter(|w| LOGIC.contains(&w.as_str())) {
            slots.push(format!("logic={w}"));
        }
        let text = all.join(" ");
        if text.contains("how many")
            || text.contains("number of")
            || all.iter().any(|w| w == "count")
        {
            slots.push("ask=count".into());
        }
        // A relative time the planner did not resolve to a window ("since Monday", "overdue",
        // "so far") depends on the day it is asked: that day is part of the question.
        const RELATIVE: &[&str] = &[
            "today",
            "yesterday",
            "tomorrow",
            "now",
            "current",
            "currently",
            "recent",
            "recently",
            "ago",
            "since",
            "until",
            "overdue",
            "due",
            "late",
            "week",
            "weekend",
            "ytd",
            "mtd",
            "far",
            "date",
            "upcoming",
            "next",
            "past",
        ];
        if r.window.is_none()
            && all
                .iter()
                .any(|w| RELATIVE.contains(&w.as_str()) || WEEKDAYS.contains(&w.as_str()))
        {
            slots.push(format!("asked_on={today}"));
        }
        // A capitalised word that is a known value is already a filter ("West").
        let known: Vec<String> = r.filters.iter().map(|f| f.value.to_lowercase()).collect();
        for name in names.iter().filter(|n| !known.contains(n)) {
            slots.push(format!("name={name}"));
        }
        slots.sort();
        slots.dedup();
        slots
    }
}
