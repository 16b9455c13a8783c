//! Groupings: "by region", "per customer", "for each month", and the entity a figure is
//! counted per.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Planner {
    /// "average X per Y" where Y is an entity: SUM(X) / COUNT(DISTINCT Y).
    pub(super) fn read_per_entity(&self, words: &mut Words, r: &mut Reading) {
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

    pub(super) fn read_dims(&self, words: &mut Words, r: &mut Reading) {
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
    pub(super) fn dim_at(&self, words: &Words, k: usize) -> Option<Dim> {
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
    pub(super) fn abbreviated_dim(&self, phrase: &[&str]) -> Option<String> {
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
}
