//! The linguistic model of a schema, derived automatically: which columns are measures
//! (numbers to add up), dimensions (text to group or filter by), dates, entity keys, and which
//! stored values can become filters. Nothing here knows the sample database by name.

use std::collections::BTreeMap;

use crate::schema::{ColumnKind, Schema};

use super::lexicon::{canonical, singular, ENTITY_SYNONYMS, MEASURE_SYNONYMS};

#[derive(Debug, Clone)]
pub struct TableModel {
    pub name: String,
    pub is_view: bool,
    /// The singular entity this table holds ("orders" → "order").
    pub entity: String,
    pub primary_key: Option<String>,
    pub measures: Vec<String>,
    pub dims: Vec<String>,
    pub dates: Vec<String>,
    pub month: Option<String>,
    pub all_columns: Vec<String>,
}

impl TableModel {
    pub fn has(&self, column: &str) -> bool {
        self.all_columns.iter().any(|c| c.eq_ignore_ascii_case(column))
    }
}

/// A stored value that a word can name ("west" → region = 'West').
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRef {
    pub table: String,
    pub column: String,
    pub value: String,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub tables: Vec<TableModel>,
    /// Lowercased value (one or more words) → where it is stored.
    pub values: BTreeMap<String, Vec<ValueRef>>,
    /// Every word the model knows (for spelling correction).
    pub vocabulary: Vec<String>,
}

/// Lowercase words of an identifier: `unit_price` and `UnitPrice` → ["unit", "price"].
pub fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == ' ' || c == '-' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()) && chars[i - 1].is_uppercase());
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_key(name: &str) -> bool {
    let words = name_words(name);
    words.last().is_some_and(|w| w == "id" || w == "key" || w == "code") || name.eq_ignore_ascii_case("rowid")
}

impl Model {
    pub fn build(schema: &Schema) -> Self {
        let mut model = Model::default();
        let mut vocab: Vec<String> = Vec::new();
        for t in &schema.tables {
            let entity =
                canonical(ENTITY_SYNONYMS, &t.name.to_lowercase()).map_or_else(|| singular(&name_words(&t.name).join("_")), str::to_string);
            let mut tm = TableModel {
                name: t.name.clone(),
                is_view: t.is_view,
                entity,
                primary_key: t.columns.iter().find(|c| c.primary_key).map(|c| c.name.clone()),
                measures: Vec::new(),
                dims: Vec::new(),
                dates: Vec::new(),
                month: None,
                all_columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            };
            vocab.extend(name_words(&t.name));
            for c in &t.columns {
                vocab.extend(name_words(&c.name));
                match c.kind {
                    k if k.is_numeric() && !c.primary_key && !is_key(&c.name) => tm.measures.push(c.name.clone()),
                    ColumnKind::Date => tm.dates.push(c.name.clone()),
                    ColumnKind::Month => tm.month = Some(c.name.clone()),
                    ColumnKind::Text => tm.dims.push(c.name.clone()),
                    _ => {}
                }
                for v in &c.values {
                    let key = v.to_lowercase();
                    vocab.extend(key.split_whitespace().map(str::to_string));
                    model.values.entry(key).or_default().push(ValueRef { table: t.name.clone(), column: c.name.clone(), value: v.clone() });
                }
            }
            model.tables.push(tm);
        }
        for group in MEASURE_SYNONYMS.iter().chain(ENTITY_SYNONYMS) {
            vocab.extend(group.iter().map(|w| (*w).to_string()));
        }
        vocab.sort();
        vocab.dedup();
        model.vocabulary = vocab;
        model
    }

    pub fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Numeric columns a measure word can mean, best first: (table, column, score).
    pub fn measure_columns(&self, word: &str) -> Vec<(String, String, u8)> {
        let canon = canonical(MEASURE_SYNONYMS, word);
        let group: &[&str] = MEASURE_SYNONYMS.iter().find(|g| g.contains(&word)).copied().unwrap_or(&[]);
        let mut out = Vec::new();
        for t in &self.tables {
            for m in &t.measures {
                let lower = m.to_lowercase();
                let parts = name_words(m);
                let score = if lower == word || Some(lower.as_str()) == canon {
                    4
                } else if group.iter().position(|g| *g == lower).is_some() {
                    3
                } else if parts.iter().any(|p| p == word || Some(p.as_str()) == canon) {
                    2
                } else {
                    0
                };
                if score > 0 {
                    out.push((t.name.clone(), m.clone(), score));
                }
            }
        }
        out.sort_by_key(|m| std::cmp::Reverse(m.2));
        out
    }

    /// Text or date columns a dimension word can mean: (table, column).
    pub fn dim_columns(&self, word: &str) -> Vec<(String, String)> {
        let sing = singular(word);
        let canon = canonical(ENTITY_SYNONYMS, word).unwrap_or(&sing);
        let mut out = Vec::new();
        for t in &self.tables {
            for d in &t.dims {
                let lower = d.to_lowercase();
                let parts = name_words(d);
                let named = lower == word
                    || lower == sing
                    || lower == canon
                    || parts.first().is_some_and(|p| p == canon) && parts.last().is_some_and(|p| p == "name");
                if named {
                    out.push((t.name.clone(), d.clone()));
                }
            }
            // The entity's own table: its name column ("by product" over products.name).
            if t.entity == canon {
                if let Some(name_col) =
                    t.dims.iter().find(|d| d.eq_ignore_ascii_case("name") || name_words(d).last().is_some_and(|w| w == "name"))
                {
                    out.push((t.name.clone(), name_col.clone()));
                }
            }
        }
        out
    }

    /// The table holding an entity ("customers" → customers table).
    pub fn entity_table(&self, word: &str) -> Option<&TableModel> {
        let sing = singular(word);
        let canon = canonical(ENTITY_SYNONYMS, word).unwrap_or(&sing);
        self.tables.iter().filter(|t| !t.is_view).find(|t| t.entity == canon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_words() {
        assert_eq!(name_words("unit_price"), ["unit", "price"]);
        assert_eq!(name_words("UnitPrice"), ["unit", "price"]);
        assert_eq!(name_words("InvoiceLineId"), ["invoice", "line", "id"]);
        assert_eq!(name_words("HTTPStatus"), ["http", "status"]);
    }
}
