//! The question as a list of normalised words, each marked used once a part of the planner has
//! understood it. What is left unused at the end measures how much of the question was understood.

/// Words of a question: lowercase, punctuation and possessive `'s` removed.
#[derive(Debug, Clone)]
pub struct Words {
    words: Vec<String>,
    used: Vec<bool>,
}

impl Words {
    pub fn new(question: &str) -> Self {
        // "$1,234" is one number: drop commas between digits before splitting on punctuation.
        let chars: Vec<char> = question.chars().collect();
        let question: String = chars
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !(**c == ','
                    && *i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            })
            .map(|(_, c)| *c)
            .collect();
        let mut words = Vec::new();
        for raw in question.split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | '?' | '!' | ';' | ':' | '(' | ')' | '"' | '/')
        }) {
            let lower = raw.to_lowercase();
            let lower = lower.trim_matches(|c: char| !c.is_alphanumeric() && c != '$' && c != '%');
            let lower = lower.trim_start_matches('$');
            // Possessives and contractions: "month's" → "month", "what's" → "what".
            let base = lower
                .strip_suffix("'s")
                .or_else(|| lower.strip_suffix("’s"))
                .unwrap_or(lower);
            let base = base.trim_end_matches(['.', '\'']);
            if base.is_empty() {
                continue;
            }
            if base.contains('-') && base.parse::<chrono::NaiveDate>().is_err() {
                // "year-over-year", "best-selling": split, but keep ISO dates whole.
                words.extend(
                    base.split('-')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                );
            } else {
                words.push(base.to_string());
            }
        }
        let used = vec![false; words.len()];
        Self { words, used }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(String::as_str)
    }

    pub fn used(&self, i: usize) -> bool {
        self.used.get(i).copied().unwrap_or(true)
    }

    pub fn mark(&mut self, i: usize) {
        if let Some(u) = self.used.get_mut(i) {
            *u = true;
        }
    }

    /// Finds `phrase` (already normalised words) among unused words; returns its start.
    pub fn find(&self, phrase: &[&str]) -> Option<usize> {
        if phrase.is_empty() || phrase.len() > self.words.len() {
            return None;
        }
        (0..=self.words.len() - phrase.len()).find(|&i| {
            phrase
                .iter()
                .enumerate()
                .all(|(k, p)| !self.used[i + k] && self.words[i + k] == *p)
        })
    }

    /// Finds and marks `phrase`; true when found.
    pub fn take(&mut self, phrase: &[&str]) -> Option<usize> {
        let i = self.find(phrase)?;
        for k in i..i + phrase.len() {
            self.used[k] = true;
        }
        Some(i)
    }

    /// Replaces a word (spelling correction).
    pub fn replace(&mut self, i: usize, word: &str) {
        if let Some(w) = self.words.get_mut(i) {
            *w = word.to_string();
        }
    }

    /// Indices of words not yet understood.
    pub fn unused(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.words.len()).filter(|&i| !self.used[i])
    }

    pub fn all(&self) -> &[String] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_split_into_plain_words() {
        assert_eq!(
            Words::new("Show me last month's sales, by region?").all(),
            ["show", "me", "last", "month", "sales", "by", "region"]
        );
        assert_eq!(
            Words::new("What's our best-selling product").all(),
            ["what", "our", "best", "selling", "product"]
        );
        assert_eq!(
            Words::new("orders from 2026-01-05 to 2026-01-10").all(),
            ["orders", "from", "2026-01-05", "to", "2026-01-10"]
        );
        assert_eq!(
            Words::new("revenue over $1,000").all(),
            ["revenue", "over", "1000"]
        );
    }

    #[test]
    fn taken_phrases_are_not_found_again() {
        let mut w = Words::new("last month vs last month");
        assert_eq!(w.take(&["last", "month"]), Some(0));
        assert_eq!(w.take(&["last", "month"]), Some(3));
        assert_eq!(w.take(&["last", "month"]), None);
        assert_eq!(w.unused().collect::<Vec<_>>(), [2]);
    }
}
