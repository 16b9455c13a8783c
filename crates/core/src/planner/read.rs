//! Reading a question: the words in order, each claimed by the first reader that knows it
//! (time, comparisons, rankings, measures, groupings, filters), into a [`Reading`].

#[allow(clippy::wildcard_imports)]
use super::*;

impl Planner {
    /// Reads measures, groupings, filters, time and ranking out of the words.
    pub(super) fn read(&self, words: &mut Words, today: NaiveDate, names: &[String]) -> Reading {
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
}
