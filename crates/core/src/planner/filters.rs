//! Filters: stored values the question names ("in the West", "Acme's orders"), and names
//! that start a stored value.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Planner {
    pub(super) fn read_filters(&self, words: &mut Words, r: &mut Reading, names: &[String]) {
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
    pub(super) fn read_name_prefixes(&self, words: &mut Words, r: &mut Reading, names: &[String]) {
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
}
