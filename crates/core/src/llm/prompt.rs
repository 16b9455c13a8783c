//! The prompt: a versioned template with the data source's schema, its dialect, today's date and
//! the word meanings of the sample data, asking for one JSON object.
//!
//! **Privacy by default**: no data row leaves the machine. The schema goes (tables, columns,
//! types, keys, row counts) with the distinct values of low-cardinality columns (regions,
//! segments, statuses), but never values of columns that may hold people's details or free text,
//! whatever their cardinality ([`crate::llm::privacy`] decides). Sample rows are sent only when
//! the person turns that on. [`Prompt::receipt`] is exactly what was sent, after a line naming
//! the columns whose values were held back.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::llm::privacy;
use crate::schema::{ColumnKind, Schema};

/// Part of the cache key: change it whenever the wording below changes.
pub const PROMPT_VERSION: &str = "sql-py-v2";

/// Output cap sent with every request (the budget's upper bound relies on it).
pub const MAX_OUTPUT_TOKENS: u32 = 1_200;

/// A rendered prompt and its receipt.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub question: String,
    /// `table.column` of the columns whose listed values were held back as possibly personal.
    pub held_back: Vec<String>,
}

impl Prompt {
    /// What was held back, then exactly what leaves the machine (before the provider's own
    /// framing).
    pub fn receipt(&self) -> String {
        let sent = format!("{}\n\n--- question ---\n{}", self.system, self.question);
        match self.held_back.len() {
            0 => sent,
            n => format!(
                "Held back: the values of {n} column{} that may be personal ({}); only {} sent.\n\n--- sent ---\n{sent}",
                if n == 1 { "" } else { "s" },
                self.held_back.join(", "),
                if n == 1 { "its name was" } else { "their names were" }
            ),
        }
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
        Dialect::Mysql => {
            "MariaDB/MySQL. Quote names with backticks. Use DATE_FORMAT(col, '%Y-%m'), YEAR(col), DATE_SUB('2026-01-31', INTERVAL 30 DAY), CONCAT(a, b) (|| is OR here); use the literal date given below for today, not CURDATE() or NOW(). No writes, no SET, no INTO OUTFILE, no /*! */ comments."
        }
        Dialect::Duckdb => {
            "DuckDB, over one file shown as the tables below. Use strftime(CAST(col AS DATE), '%Y-%m'), date_trunc('month', CAST(col AS DATE)), CAST(col AS DATE); use the literal date given below for today. Read only the tables listed: no read_csv, read_parquet or file names, no COPY, no SET."
        }
    }
}

/// Builds the prompt for `question` over `schema`. `sample_rows` (table → a few rows as JSON) is
/// included only when the person allowed it.
pub fn build(
    schema: &Schema,
    dialect: Dialect,
    today: NaiveDate,
    question: &str,
    sample_rows: Option<&[(String, Value)]>,
) -> Prompt {
    let mut s = String::new();
    s.push_str("You write one read-only SQL query that answers a small business's question about its own database.\n");
    s.push_str(&format!("Dialect: {}\n", dialect_notes(dialect)));
    s.push_str(&format!("Today is {today} ({}).\n\n", today.format("%A")));
    s.push_str("Tables (name, rows; columns with types; [values] lists every value of a low-cardinality column):\n");
    for t in &schema.tables {
        s.push_str(&format!(
            "- {}{} ({} rows)\n",
            t.name,
            if t.is_view { " (view)" } else { "" },
            t.row_count
        ));
        for c in &t.columns {
            let ty = match c.kind {
                ColumnKind::Integer => "integer",
                ColumnKind::Real => "number",
                ColumnKind::Date => "date",
                ColumnKind::Month => "month text YYYY-MM",
                ColumnKind::Text => "text",
                ColumnKind::Other => "other",
            };
            s.push_str(&format!(
                "    {} {ty}{}",
                c.name,
                if c.primary_key { " primary key" } else { "" }
            ));
            if !c.values.is_empty() && privacy::values_may_leave(&t.name, c) {
                s.push_str(&format!(" [{}]", c.values.join(", ")));
            }
            s.push('\n');
        }
        for fk in &t.foreign_keys {
            s.push_str(&format!(
                "    {} → {}.{}\n",
                fk.column, fk.table, fk.to_column
            ));
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
    Prompt {
        system: s,
        question: question.to_string(),
        held_back: privacy::held_back(schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The red team's clinic: three patients, so every text column is low-cardinality (`dob` is a
    /// date column, whose values are never listed).
    #[test]
    fn a_small_clinics_people_stay_home_and_its_categories_go() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE patients (id INTEGER PRIMARY KEY, full_name TEXT, telephone TEXT, diagnosis TEXT, dob TEXT, region TEXT, status TEXT);
             CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, role TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, billing_name TEXT, recipient TEXT, shipping_address TEXT, zip TEXT, status TEXT, category TEXT, country TEXT);",
        )
        .expect("schema");
        let people = [
            (
                "Maria Lopez",
                "030 1234567",
                "asthma",
                "1984-03-02",
                "dr.weber",
                "Kowalczyk Holdings",
                "Anka Kowalczyk",
                "12 Main St",
                "04109",
            ),
            (
                "Tom Baker",
                "+49 171 2345678",
                "type 2 diabetes",
                "1990-12-24",
                "tbaker",
                "Baker & Sons",
                "Front desk",
                "Hauptstraße 5",
                "06108",
            ),
            (
                "Ngozi Okafor",
                "(555) 123-4567",
                "hypertension",
                "1975-07-19",
                "nokafor",
                "Okafor Clinic",
                "N. Okafor",
                "221b Baker Street",
                "10115",
            ),
        ];
        for (i, (p, region)) in (0_i64..).zip(people.iter().zip(["North", "South", "East"])) {
            conn.execute(
                "INSERT INTO patients VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active')",
                rusqlite::params![i, p.0, p.1, p.2, p.3, region],
            )
            .expect("patient");
            conn.execute(
                "INSERT INTO users VALUES (?1, ?2, 'nurse')",
                rusqlite::params![i, p.4],
            )
            .expect("user");
            conn.execute(
                "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, 'shipped', 'supplies', 'Germany')",
                rusqlite::params![i, p.5, p.6, p.7, p.8],
            )
            .expect("order");
        }
        let schema = crate::schema::introspect(&conn).expect("schema");
        let prompt = build(
            &schema,
            Dialect::Sqlite,
            "2026-11-26".parse().expect("date"),
            "how many patients per region?",
            None,
        );
        for p in people {
            for value in [p.0, p.1, p.2, p.3, p.4, p.5, p.6, p.7, p.8] {
                assert!(
                    !prompt.system.contains(value),
                    "{value:?} was sent:\n{}",
                    prompt.system
                );
            }
        }
        for category in ["North", "active", "nurse", "shipped", "supplies", "Germany"] {
            assert!(
                prompt.system.contains(category),
                "{category:?} is a category and may go:\n{}",
                prompt.system
            );
        }
        let receipt = prompt.receipt();
        assert!(
            receipt.starts_with(
                "Held back: the values of 8 columns that may be personal (orders.billing_name, orders.recipient, \
                 orders.shipping_address, orders.zip, patients.full_name, patients.telephone, patients.diagnosis, users.username); \
                 only their names were sent."
            ),
            "{receipt}"
        );
    }

    #[test]
    fn the_prompt_has_the_schema_dialect_and_date_but_no_personal_values() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let today: NaiveDate = "2026-11-26".parse().unwrap();
        crate::sample::generate(&mut conn, today, 300).unwrap();
        let schema = crate::schema::introspect(&conn).unwrap();
        let prompt = build(
            &schema,
            Dialect::Sqlite,
            today,
            "which products are bought together?",
            None,
        );
        let text = prompt.receipt();
        assert!(text.contains("Today is 2026-11-26 (Thursday)"));
        assert!(text.contains("SQLite"));
        assert!(text.contains("- sales (view"), "{text}");
        assert!(text.contains("West"), "region names are categories, sent");
        let name: String = conn
            .query_row("SELECT name FROM customers LIMIT 1", [], |r| r.get(0))
            .unwrap();
        assert!(
            !text.contains(&name),
            "a customer's name must not be sent: {name}"
        );
        assert!(text.ends_with("which products are bought together?"));
        assert!(
            text.starts_with(
                "Held back: the values of 2 columns that may be personal (customers.city, sales.customer); only their names were sent."
            ),
            "{text}"
        );
        assert!(
            text.contains("[Duluth") || text.contains("Duluth,"),
            "cities of sales are categories: {text}"
        );
    }
}
