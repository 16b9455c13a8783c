//! The prompt: a versioned template with the data source's schema, its dialect, today's date and
//! the word meanings of the sample data, asking for one JSON object.
//!
//! **Privacy by default**: no data row leaves the machine. The schema goes (tables, columns,
//! types, keys, row counts) with the distinct values of low-cardinality columns (regions,
//! segments, statuses), but never values of columns that hold people's details (names, e-mail
//! addresses, phone numbers, addresses) or free text, whatever their cardinality. Sample rows are
//! sent only when the person turns that on. [`Prompt::receipt`] is exactly what was sent.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::planner::lexicon::{canonical, singular, ENTITY_SYNONYMS};
use crate::schema::{ColumnKind, Schema};
use crate::source::Dialect;

/// Part of the cache key: change it whenever the wording below changes.
pub const PROMPT_VERSION: &str = "sql-py-v2";

/// Output cap sent with every request (the budget's upper bound relies on it).
pub const MAX_OUTPUT_TOKENS: u32 = 1_200;

/// Words in a column name that mark personal details or free text: their values never leave.
const PERSONAL: &[&str] = &[
    "email",
    "mail",
    "phone",
    "mobile",
    "fax",
    "address",
    "street",
    "postcode",
    "postal",
    "zip",
    "birth",
    "birthday",
    "ssn",
    "password",
    "first",
    "last",
    "surname",
    "contact",
    "note",
    "notes",
    "comment",
    "comments",
    "description",
    "memo",
    "iban",
    "card",
];

/// Entities whose `name` is a person's name.
const PEOPLE: &[&str] =
    &["customer", "employee", "user", "person", "people", "member", "contact", "staff", "client", "supplier", "rep", "agent"];

/// May this column's values be sent?
pub fn values_may_leave(table: &str, column: &str) -> bool {
    let words = crate::planner::model::name_words(column);
    if words.iter().any(|w| PERSONAL.contains(&w.as_str())) {
        return false;
    }
    let entity = canonical(ENTITY_SYNONYMS, &table.to_lowercase()).map_or_else(|| singular(&table.to_lowercase()), str::to_string);
    let person_table = PEOPLE.iter().any(|p| entity.contains(p));
    let names_someone = words.iter().any(|w| w == "name" || w == "customer" || w == "employee" || w == "client");
    !(names_someone && (person_table || words.len() == 1 && words[0] != "name" || words.iter().any(|w| w == "customer" || w == "employee")))
}

/// A rendered prompt and its receipt.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub question: String,
}

impl Prompt {
    /// Exactly what leaves the machine (before the provider's own framing).
    pub fn receipt(&self) -> String {
        format!("{}\n\n--- question ---\n{}", self.system, self.question)
    }
}

/// The JSON schema of the reply (structured output where the provider supports it).
pub fn reply_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["answer", "clarify", "out_of_scope"]},
            "language": {"type": "string", "enum": ["sql", "python"]},
            "code": {"type": "string"},
            "query": {"type": "string"},
            "explanation": {"type": "string"},
            "chart_hint": {"type": ["string", "null"], "enum": ["bar", "line", "pie", "scatter", "number", "table", null]},
            "assumptions": {"type": "array", "items": {"type": "string"}},
            "options": {"type": "array", "items": {"type": "string"}},
            "reason": {"type": "string"}
        },
        "required": ["kind", "explanation"]
    })
}

fn dialect_notes(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SQLite. Dates are ISO text: use date(), strftime('%Y-%m', col), date('now') is NOT today — use the literal date given below. No PRAGMA, ATTACH or writes."
        }
        Dialect::Postgres => {
            "PostgreSQL. Use date_trunc('month', col), CAST(col AS date), to_char(col, 'YYYY-MM'); use the literal date given below for today. No writes, no SET, no COPY."
        }
    }
}

/// Builds the prompt for `question` over `schema`. `sample_rows` (table → a few rows as JSON) is
/// included only when the person allowed it.
pub fn build(schema: &Schema, dialect: Dialect, today: NaiveDate, question: &str, sample_rows: Option<&[(String, Value)]>) -> Prompt {
    let mut s = String::new();
    s.push_str("You write one read-only SQL query that answers a small business's question about its own database.\n");
    s.push_str(&format!("Dialect: {}\n", dialect_notes(dialect)));
    s.push_str(&format!("Today is {today} ({}).\n\n", today.format("%A")));
    s.push_str("Tables (name, rows; columns with types; [values] lists every value of a low-cardinality column):\n");
    for t in &schema.tables {
        s.push_str(&format!("- {}{} ({} rows)\n", t.name, if t.is_view { " (view)" } else { "" }, t.row_count));
        for c in &t.columns {
            let ty = match c.kind {
                ColumnKind::Integer => "integer",
                ColumnKind::Real => "number",
                ColumnKind::Date => "date",
                ColumnKind::Month => "month text YYYY-MM",
                ColumnKind::Text => "text",
                ColumnKind::Other => "other",
            };
            s.push_str(&format!("    {} {ty}{}", c.name, if c.primary_key { " primary key" } else { "" }));
            if !c.values.is_empty() && values_may_leave(&t.name, &c.name) {
                s.push_str(&format!(" [{}]", c.values.join(", ")));
            }
            s.push('\n');
        }
        for fk in &t.foreign_keys {
            s.push_str(&format!("    {} → {}.{}\n", fk.column, fk.table, fk.to_column));
        }
    }
    if let Some(rows) = sample_rows {
        s.push_str("\nSample rows (the person allowed sending them):\n");
        for (table, rows) in rows {
            s.push_str(&format!("- {table}: {rows}\n"));
        }
    }
    s.push_str(
        "\nWord meanings (use them unless the question says otherwise):
- sales, revenue, turnover, income = the sum of a revenue/amount column (for the sample shop: SUM(revenue) of the `sales` view, which holds completed orders only)
- profit = sum of profit; profit margin = SUM(profit) / SUM(revenue)
- orders = COUNT(DISTINCT order id) of completed orders unless a status is named
- average order value = revenue / number of distinct orders; units sold = SUM(quantity)
- last month = the previous calendar month; last N months = the N complete months before this one; this year = 1 January to today; last year = the previous calendar year; weeks run Monday to Sunday
- top N = ordered descending by the measure, N rows
",
    );
    s.push_str(
        "\nReply with ONE JSON object and nothing else:
{\"kind\": \"answer\", \"language\": \"sql\", \"code\": \"SELECT …\", \"explanation\": \"one sentence in plain words, stating how you read the question\", \"chart_hint\": \"bar|line|pie|scatter|number|table\", \"assumptions\": [\"…\"]}
If the question is ambiguous, reply {\"kind\": \"clarify\", \"explanation\": \"what is unclear\", \"options\": [up to 3 concrete rephrasings this data can answer]}.
If this data cannot answer it, reply {\"kind\": \"out_of_scope\", \"explanation\": \"…\", \"reason\": \"what the data does contain\"}.
Rules: exactly one SELECT (WITH … SELECT allowed); only the tables and columns above; give columns readable aliases; put the grouping columns first and the figure last; order results sensibly; never modify data.
Only when SQL cannot do it well (forecasts, moving averages, statistics), answer in Python instead: {\"kind\": \"answer\", \"language\": \"python\", \"query\": \"one SELECT that fetches the rows needed\", \"code\": \"a script that reads rows (a list of dicts, one per row of the query) and sets result to a list of dicts, a dict of equal-length lists, or a number\", \"explanation\": \"…\"}. The script runs in a restricted Python (Monty): no imports except json, math, re, datetime, collections and functools; no files, network or environment; no class inheritance, no generators, no pandas or numpy. It may call query_sql(\"SELECT …\") for more rows.",
    );
    Prompt { system: s, question: question.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peoples_details_never_leave_but_categories_do() {
        for (table, column) in [
            ("customers", "name"),
            ("customers", "email"),
            ("Customer", "FirstName"),
            ("Employee", "LastName"),
            ("sales", "customer"),
            ("orders", "notes"),
            ("Customer", "Phone"),
            ("Customer", "Address"),
        ] {
            assert!(!values_may_leave(table, column), "{table}.{column} must stay");
        }
        for (table, column) in [
            ("regions", "name"),
            ("sales", "region"),
            ("sales", "segment"),
            ("orders", "status"),
            ("Genre", "Name"),
            ("products", "category"),
        ] {
            assert!(values_may_leave(table, column), "{table}.{column} may be sent");
        }
    }

    #[test]
    fn the_prompt_has_the_schema_dialect_and_date_but_no_personal_values() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let today: NaiveDate = "2026-11-26".parse().unwrap();
        crate::sample::generate(&mut conn, today, 300).unwrap();
        let schema = crate::schema::introspect(&conn).unwrap();
        let prompt = build(&schema, Dialect::Sqlite, today, "which products are bought together?", None);
        let text = prompt.receipt();
        assert!(text.contains("Today is 2026-11-26 (Thursday)"));
        assert!(text.contains("SQLite"));
        assert!(text.contains("- sales (view"), "{text}");
        assert!(text.contains("West"), "region names are categories, sent");
        let name: String = conn.query_row("SELECT name FROM customers LIMIT 1", [], |r| r.get(0)).unwrap();
        assert!(!text.contains(&name), "a customer's name must not be sent: {name}");
        assert!(text.ends_with("which products are bought together?"));
    }
}
