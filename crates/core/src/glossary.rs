//! The user's glossary: their own words for things the planner knows ("GMV" means "revenue",
//! "top accounts" means "top 10 customers by revenue"). Kept in the app database; applied to a
//! question before the planner reads it, and stated in the interpretation.

use rusqlite::params;

use crate::history::{AppDb, HistoryError};

/// One entry: `term` is replaced by `meaning` wherever it appears as whole words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub term: String,
    pub meaning: String,
}

impl AppDb {
    /// Adds or replaces a glossary entry.
    pub fn set_glossary_entry(&self, term: &str, meaning: &str) -> Result<(), HistoryError> {
        self.conn().execute(
            "INSERT INTO glossary(term, meaning) VALUES (?1, ?2) ON CONFLICT(term) DO UPDATE SET meaning = excluded.meaning",
            params![term.trim(), meaning.trim()],
        )?;
        Ok(())
    }

    pub fn remove_glossary_entry(&self, term: &str) -> Result<bool, HistoryError> {
        Ok(self
            .conn()
            .execute("DELETE FROM glossary WHERE term = ?1", [term.trim()])?
            > 0)
    }

    pub fn glossary(&self) -> Result<Vec<Entry>, HistoryError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT term, meaning FROM glossary ORDER BY term")?;
        let rows = stmt.query_map([], |r| {
            Ok(Entry {
                term: r.get(0)?,
                meaning: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '$' && c != '%')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `a` and `b` are the same words, ignoring case and punctuation ("Unit cost" and
/// "unit cost").
pub fn same_words(a: &str, b: &str) -> bool {
    words(a) == words(b)
}

/// `question` with glossary terms replaced (longest terms first, whole words, any case), and
/// what was replaced, for the interpretation.
pub fn apply(question: &str, glossary: &[Entry]) -> (String, Vec<(String, String)>) {
    let mut tokens = words(question);
    let mut entries: Vec<(Vec<String>, &Entry)> = glossary
        .iter()
        .map(|e| (words(&e.term), e))
        .filter(|(t, _)| !t.is_empty())
        .collect();
    entries.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
    let mut used = Vec::new();
    // Words put in by an entry are not read again by a shorter one.
    let mut replaced = vec![false; tokens.len()];
    for (term, entry) in entries {
        let mut i = 0;
        while i + term.len() <= tokens.len() {
            if tokens[i..i + term.len()] == term[..] && !replaced[i..i + term.len()].contains(&true)
            {
                let meaning = words(&entry.meaning);
                let n = meaning.len();
                tokens.splice(i..i + term.len(), meaning);
                replaced.splice(i..i + term.len(), std::iter::repeat_n(true, n));
                if !used
                    .iter()
                    .any(|(t, _): &(String, String)| *t == entry.term)
                {
                    used.push((entry.term.clone(), entry.meaning.clone()));
                }
                i += n.max(1);
            } else {
                i += 1;
            }
        }
    }
    if used.is_empty() {
        return (question.to_string(), used);
    }
    (tokens.join(" "), used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: &str, meaning: &str) -> Entry {
        Entry {
            term: term.into(),
            meaning: meaning.into(),
        }
    }

    #[test]
    fn terms_are_replaced_as_whole_words_longest_first() {
        let g = [
            entry("GMV", "revenue"),
            entry("top accounts", "top 10 customers by revenue"),
            entry("top", "highest"),
        ];
        assert_eq!(
            apply("GMV by region last month", &g).0,
            "revenue by region last month"
        );
        assert_eq!(
            apply("show our top accounts", &g).0,
            "show our top 10 customers by revenue"
        );
        assert_eq!(
            apply("gmvs by region", &g).0,
            "gmvs by region",
            "only whole words"
        );
        let (_, used) = apply("Top accounts' GMV", &g);
        assert_eq!(used.len(), 2);
    }

    #[test]
    fn entries_are_kept_in_the_app_database() {
        let db = AppDb::open_in_memory().unwrap();
        db.set_glossary_entry("GMV", "revenue").unwrap();
        db.set_glossary_entry("gmv", "sales").unwrap();
        assert_eq!(
            db.glossary().unwrap(),
            [entry("GMV", "sales")],
            "terms are case-insensitive; the last meaning wins"
        );
        assert!(db.remove_glossary_entry("Gmv").unwrap());
        assert!(db.glossary().unwrap().is_empty());
    }
}
