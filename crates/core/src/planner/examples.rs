//! What this data can answer: its topics, its main table, and the rephrasings offered when
//! a question is unclear.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Planner {
    /// What this database can answer, in words: "revenue, profit and units".
    pub(super) fn topics(&self) -> String {
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
    pub(super) fn fact_table(&self) -> Option<&model::TableModel> {
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
    pub(super) fn examples_for(
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
