//! Measures: which figure the question asks for (sum, average, count, minimum, maximum, per
//! entity), and the table a word names.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Planner {
    pub(super) fn read_measures(&self, words: &mut Words, r: &mut Reading) {
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
    pub(super) fn read_count(&self, words: &mut Words, r: &mut Reading) -> bool {
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
    pub(super) fn read_also(&self, words: &mut Words, r: &mut Reading, at: usize) {
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
    pub(super) fn default_money_word(&self) -> Option<String> {
        ["revenue", "sales", "amount", "total"]
            .into_iter()
            .find(|w| self.model.can_measure(w))
            .map(str::to_string)
    }
}
