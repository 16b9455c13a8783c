//! What the AI is told when its code fails: the one text that goes back for self-correction, to
//! the log and to the trace.
//!
//! An error message can carry data. SQLite's `bad JSON path: '…'` quotes a value the query
//! computed, so `json_extract('{}', 'x' || (SELECT hex(group_concat(name || email)) FROM
//! customers))` once put every customer into the next request (hex passed the old masking of
//! quoted text), and a script can `raise ValueError(rows)`. So nothing is passed on because it
//! looks harmless; a message goes back only when its shape is known and everything variable in it
//! was written by the AI itself:
//!
//! - **The guard's refusals**, whole: the guard reads nothing but the SQL text.
//! - **The database's compile errors** ([`KNOWN`]: syntax, unknown table, column or function,
//!   misuse of an aggregate…), when every name they quote occurs in the AI's SQL (or is a table or
//!   column the prompt listed), every quoted token occurs in the SQL, and the rest is counts and
//!   type names.
//! - **Everything else the database says** (a runtime error, whatever its wording) becomes a
//!   fixed category: "a JSON path or value was invalid", "a number overflowed or was out of
//!   range", "a value had the wrong type", or just "the query failed while running".
//! - **Python**: the exception's type (one of Python's own) and the line it was raised on, never
//!   its message; refusals of the script checker, which reads only the script; fixed sentences for
//!   time, memory and the result's shape.
//!
//! This holds whether or not the person allowed sample rows: that setting sends three rows per
//! table, not whatever a query can compute.

use crate::executor::ExecError;
use crate::python::PyError;
use crate::schema::Schema;

use super::AskError;

/// What a failed query tells the AI when nothing more specific can be passed on.
const FAILED_RUNNING: &str = "the query failed while running";

/// Compile-time messages of SQLite and PostgreSQL that may go back once their holes check out:
/// `{name}` a table, column or function name; `{token}` a piece of the SQL as written; `{n}` a
/// count ("3", "2nd"); `{types}` SQL type names.
pub const KNOWN: &[&str] = &[
    // SQLite.
    "no such table: {name}",
    "no such column: {name}",
    "no such function: {name}",
    "ambiguous column name: {name}",
    "near \"{token}\": syntax error",
    "unrecognized token: \"{token}\"",
    "incomplete input",
    "wrong number of arguments to function {name}()",
    "misuse of aggregate: {name}()",
    "misuse of aggregate function {name}()",
    "misuse of window function {name}()",
    "no such window: {name}",
    "a GROUP BY clause is required before HAVING",
    "HAVING clause on a non-aggregate query",
    "aggregate functions are not allowed in the GROUP BY clause",
    "{n} ORDER BY term out of range - should be between 1 and {n}",
    "{n} GROUP BY term out of range - should be between 1 and {n}",
    "{n} ORDER BY term does not match any column in the result set",
    "SELECTs to the left and right of {token} do not have the same number of result columns",
    "sub-select returns {n} columns - expected {n}",
    "row value misused",
    "circular reference: {name}",
    "recursive aggregate queries not supported",
    "no tables specified",
    "too many terms in compound SELECT",
    "too many columns in result set",
    "Expression tree is too large (maximum depth {n})",
    "parser stack overflow",
    "DISTINCT aggregates must have exactly one argument",
    "no such collation sequence: {name}",
    "multiple recursive references: {name}",
    "table {name} has {n} values for {n} columns",
    "a NATURAL join may not have an ON or USING clause",
    "cannot join using column {name} - column not present in both tables",
    "ORDER BY clause should come after {token} not before",
    "LIMIT clause should come after {token} not before",
    "RIGHT and FULL OUTER JOINs are not currently supported",
    "ON clause references tables to its right",
    "not authorized",
    // PostgreSQL.
    "relation \"{name}\" does not exist",
    "column \"{name}\" does not exist",
    "column {name} does not exist",
    "syntax error at or near \"{token}\"",
    "syntax error at end of input",
    "function {name}({types}) does not exist",
    "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function",
    "column reference \"{name}\" is ambiguous",
    "missing FROM-clause entry for table \"{name}\"",
    "invalid reference to FROM-clause entry for table \"{name}\"",
    "table name \"{name}\" specified more than once",
    "aggregate functions are not allowed in {token}",
    "aggregate function calls cannot be nested",
    "window functions are not allowed in {token}",
    "subquery in FROM must have an alias",
    "subquery must return only one column",
    "each {token} query must have the same number of columns",
    "ORDER BY position {n} is not in select list",
    "GROUP BY position {n} is not in select list",
    "operator does not exist: {types} {token} {types}",
    "argument of {token} must be type {types}, not type {types}",
    "{token} types {types} and {types} cannot be matched",
    "could not identify an equality operator for type {types}",
    "permission denied for table {name}",
    "permission denied for relation {name}",
    "permission denied for schema {name}",
    "permission denied for function {name}",
    "cannot execute {token} in a read-only transaction",
    // Plainsight's own read-only walls (the executor's authorizer).
    "the function {name}()",
    "PRAGMA {name}",
    "a denied action",
    "a write to a read-only database",
    "a statement that is not read-only",
];

/// Type names in PostgreSQL's messages.
#[rustfmt::skip]
const TYPES: &[&str] = &[
    "integer", "bigint", "smallint", "numeric", "real", "double precision", "text", "character varying", "character", "varchar", "char",
    "boolean", "date", "time", "time without time zone", "time with time zone", "timestamp", "timestamp without time zone",
    "timestamp with time zone", "interval", "unknown", "record", "json", "jsonb", "bytea", "uuid", "money", "oid", "name", "anyelement",
    "anyarray", "void",
];

/// Python's own exception types: the only exception names that go back.
#[rustfmt::skip]
const EXCEPTIONS: &[&str] = &[
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "EOFError", "Exception", "FloatingPointError",
    "FileNotFoundError", "ImportError", "IndentationError", "IndexError", "JSONDecodeError", "KeyError", "LookupError", "MemoryError",
    "ModuleNotFoundError", "NameError", "NotImplementedError", "OSError", "OverflowError", "PermissionError", "RecursionError",
    "RuntimeError", "StopIteration", "SyntaxError", "TabError", "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeDecodeError",
    "UnicodeEncodeError", "UnicodeError", "ValueError", "ZeroDivisionError",
];

/// What may go back about generated SQL that failed: `sql` is the AI's query, `schema` what the
/// prompt listed.
pub(super) fn sql(error: &AskError, sql: &str, schema: &Schema) -> String {
    match error {
        // The guard reads only the SQL text: its refusal quotes nothing but the AI's own words.
        AskError::Guard(_) => error.to_string(),
        AskError::Exec(e) => exec(e, &Known { sql, schema }),
        _ => FAILED_RUNNING.to_string(),
    }
}

/// What may go back about a Python answer that failed: its data `query` or its `script`.
pub(super) fn python(error: &AskError, script: &str, query: &str, schema: &Schema) -> String {
    let AskError::Python(e) = error else {
        return sql(error, query, schema);
    };
    match e {
        // The script checker reads only the script.
        PyError::Script(_) if crate::python::validate(script).err().as_ref() == Some(e) => {
            e.to_string()
        }
        PyError::Script(message) => exception(message, script),
        PyError::Timeout(_)
        | PyError::Memory(_)
        | PyError::NoResult
        | PyError::Crashed
        | PyError::Cancelled => e.to_string(),
        PyError::Shape(message) => {
            let shape = digits_as_n(message);
            let fixed = [
                "its columns have different lengths",
                "it is None",
                "it printed more than N KB",
                "it printed more than the allowed output",
                "its result is too large to show (more than a few thousand rows)",
            ];
            if fixed.contains(&shape.as_str()) {
                e.to_string()
            } else {
                "the Python script's answer cannot be shown as a table".to_string()
            }
        }
        _ => "the Python sandbox could not run the script".to_string(),
    }
}

/// "ValueError on line 3": the type when it is one of Python's own, the line when it is one of
/// the script's, never the message.
fn exception(message: &str, script: &str) -> String {
    let name = message
        .split(|c: char| c == ':' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    let name = EXCEPTIONS
        .iter()
        .find(|e| **e == name)
        .copied()
        .unwrap_or("an exception");
    let lines = script.lines().count();
    let line = message
        .strip_suffix(')')
        .and_then(|m| m.rsplit_once("(line "))
        .and_then(|(_, n)| n.parse::<usize>().ok())
        .filter(|n| (1..=lines).contains(n));
    let at = line.map(|n| format!(" on line {n}")).unwrap_or_default();
    format!(
        "the Python script raised {name}{at} (its message is not passed on: it can contain data)"
    )
}

/// What the AI wrote and what the prompt listed: the only names a message may quote.
struct Known<'a> {
    sql: &'a str,
    schema: &'a Schema,
}

impl Known<'_> {
    /// Does `capture` fill a `{hole}` of a [`KNOWN`] message?
    fn fills(&self, hole: &str, capture: &str) -> bool {
        match hole {
            "name" => {
                !capture.is_empty()
                    && capture.len() <= 128
                    && capture.split('.').all(|part| self.named(part))
            }
            "token" => {
                !capture.is_empty()
                    && capture.len() <= 64
                    && self.sql.to_lowercase().contains(&capture.to_lowercase())
            }
            "n" => {
                let digits = capture.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let suffix = &capture[digits.len()..];
                (1..=6).contains(&digits.len())
                    && digits.chars().all(|c| c.is_ascii_digit())
                    && ["", "st", "nd", "rd", "th"].contains(&suffix)
            }
            "types" => {
                capture.is_empty()
                    || capture
                        .split(", ")
                        .all(|t| TYPES.contains(&t.trim_end_matches("[]")))
            }
            _ => false,
        }
    }

    /// A name the AI wrote as a word of its SQL, or a table or column the prompt listed.
    fn named(&self, part: &str) -> bool {
        let part = part.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'));
        if part.is_empty() {
            return false;
        }
        // The schema qualifiers SQLite and PostgreSQL put before a table's name.
        if ["main", "temp", "public"].contains(&part) {
            return true;
        }
        let listed = self.schema.tables.iter().any(|t| {
            t.name.eq_ignore_ascii_case(part)
                || t.columns.iter().any(|c| c.name.eq_ignore_ascii_case(part))
        });
        listed || written(self.sql, part)
    }
}

/// Does `word` occur in `sql` as a whole word (case aside)?
fn written(sql: &str, word: &str) -> bool {
    let (sql, word) = (sql.to_lowercase(), word.to_lowercase());
    let inside = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    sql.match_indices(&word).any(|(at, _)| {
        !sql[..at].chars().next_back().is_some_and(inside)
            && !sql[at + word.len()..].chars().next().is_some_and(inside)
    })
}

/// Does `message` have the shape of `pattern`, every hole filled by something [`Known`]?
fn matches(pattern: &str, message: &str, known: &Known<'_>) -> bool {
    let Some(open) = pattern.find('{') else {
        return pattern == message;
    };
    let Some(message) = message.strip_prefix(&pattern[..open]) else {
        return false;
    };
    let Some(close) = pattern[open..].find('}').map(|c| open + c) else {
        return false;
    };
    let hole = &pattern[open + 1..close];
    let after = &pattern[close + 1..];
    // The hole ends where the next literal text starts (or at the end).
    let literal = &after[..after.find('{').unwrap_or(after.len())];
    let ends: Vec<usize> = if literal.is_empty() {
        if after.is_empty() {
            vec![message.len()]
        } else {
            // Two holes in a row: try every split.
            (0..=message.len())
                .filter(|i| message.is_char_boundary(*i))
                .collect()
        }
    } else {
        message.match_indices(literal).map(|(at, _)| at).collect()
    };
    ends.into_iter()
        .any(|end| known.fills(hole, &message[..end]) && matches(after, &message[end..], known))
}

/// The database's own message, without rusqlite's " in <SQL> at offset N" (the SQL is the AI's,
/// but the message is matched whole).
fn database_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(message)) => {
            let without_offset = message
                .rsplit_once(" at offset ")
                .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                .and_then(|(m, _)| m.split_once(" in "))
                .map_or(message.as_str(), |(m, _)| m);
            without_offset.to_string()
        }
        other => other.to_string(),
    }
}

/// What may go back about an executor error.
fn exec(e: &ExecError, known: &Known<'_>) -> String {
    let said = match e {
        // Our own limits, in fixed words with the limit's number.
        ExecError::TimedOut(_)
        | ExecError::TooBig(_)
        | ExecError::ResultTooBig(_)
        | ExecError::SqlTooLong(_)
        | ExecError::WorkerDied(_)
        | ExecError::OutOfMemory(_)
        | ExecError::TempTooBig(_)
        | ExecError::Cancelled => return e.to_string(),
        ExecError::NotAllowed(what) => {
            return if KNOWN.iter().any(|p| matches(p, what.trim(), known)) {
                e.to_string()
            } else {
                "the query tried something that is not allowed on a read-only connection"
                    .to_string()
            };
        }
        ExecError::Sql(source) => database_message(source),
        ExecError::Postgres(message) => message.clone(),
        _ => return FAILED_RUNNING.to_string(),
    };
    let said = said.trim();
    if said.len() <= 400 && KNOWN.iter().any(|p| matches(p, said, known)) {
        return format!("the database could not run the query: {said}");
    }
    match category(said) {
        Some(what) => format!("{FAILED_RUNNING}: {what}"),
        None => FAILED_RUNNING.to_string(),
    }
}

/// A fixed sentence for a runtime error, by the words of its message outside quotes (where
/// values are), so the choice says nothing about them either.
fn category(message: &str) -> Option<&'static str> {
    let mut m = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => m.extend(c.to_lowercase()),
        }
    }
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    Some(if any(&["json"]) {
        "a JSON path or value was invalid"
    } else if any(&["date", "time"]) && any(&["out of range", "invalid", "format"]) {
        "a date or time value was invalid"
    } else if any(&["division by zero", "divide by zero"]) {
        "a number was divided by zero"
    } else if any(&["overflow", "out of range"]) {
        "a number overflowed or was out of range"
    } else if any(&[
        "datatype mismatch",
        "invalid input",
        "cannot cast",
        "could not convert",
        "conversion",
        "type mismatch",
        "wrong type",
        "invalid type",
    ]) {
        "a value had the wrong type"
    } else if any(&["regular expression", "regexp", "regex"]) {
        "a regular expression was invalid"
    } else if any(&["more than one row"]) {
        "a subquery returned more than one row"
    } else if any(&["too big", "too large", "too long", "string or blob"]) {
        "a value grew too large"
    } else if any(&["memory"]) {
        "the query ran out of memory"
    } else if any(&["null value"]) {
        "a value was missing (NULL)"
    } else {
        return None;
    })
}

/// Every run of digits as `N`, to compare messages that differ only in their limits.
fn digits_as_n(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::GuardError;
    use crate::schema::{Column, ColumnKind, Table};

    fn schema() -> Schema {
        let column = |name: &str| Column {
            name: name.into(),
            decl_type: "TEXT".into(),
            kind: ColumnKind::Text,
            primary_key: false,
            values: Vec::new(),
            index: Vec::new(),
        };
        Schema {
            tables: vec![Table {
                name: "customers".into(),
                is_view: false,
                columns: vec![column("name"), column("email")],
                foreign_keys: Vec::new(),
                row_count: 2,
                fixed_period: false,
                latest: None,
            }],
        }
    }

    fn sqlite(message: &str) -> AskError {
        AskError::Exec(ExecError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(1),
            Some(message.into()),
        )))
    }

    #[test]
    fn compile_errors_go_back_when_the_ai_wrote_every_name_in_them() {
        let s = schema();
        let q = "SELECT regon, SUM(revenue) FROM sales GROUP BY 1";
        for (message, expected) in [
            ("no such column: regon", "the database could not run the query: no such column: regon"),
            ("no such table: main.sales", "the database could not run the query: no such table: main.sales"),
            ("near \"GROUP\": syntax error", "the database could not run the query: near \"GROUP\": syntax error"),
            ("misuse of aggregate: SUM()", "the database could not run the query: misuse of aggregate: SUM()"),
            (
                "1st ORDER BY term out of range - should be between 1 and 2",
                "the database could not run the query: 1st ORDER BY term out of range - should be between 1 and 2",
            ),
            // The table was listed in the prompt.
            ("no such column: customers.phone", FAILED_RUNNING),
            ("no such column: Maria Lopez", FAILED_RUNNING),
            ("near \"Lopez\": syntax error", FAILED_RUNNING),
        ] {
            assert_eq!(sql(&sqlite(message), q, &s), expected, "{message}");
        }
        // rusqlite's " in <SQL> at offset N" is not part of the message.
        assert_eq!(
            sql(
                &sqlite(&format!("no such column: regon in {q} at offset 7")),
                q,
                &s
            ),
            "the database could not run the query: no such column: regon"
        );
        let pg = |m: &str| AskError::Exec(ExecError::Postgres(m.into()));
        assert_eq!(
            sql(&pg("column \"regon\" does not exist"), q, &s),
            "the database could not run the query: column \"regon\" does not exist"
        );
        assert_eq!(
            sql(
                &pg("function lower(integer) does not exist"),
                "SELECT lower(1)",
                &s
            ),
            "the database could not run the query: function lower(integer) does not exist"
        );
        // A cast to regclass turns a value into a "relation": not written by the AI, not passed on.
        assert_eq!(
            sql(
                &pg("relation \"Maria Lopez\" does not exist"),
                "SELECT name::regclass FROM customers",
                &s
            ),
            FAILED_RUNNING
        );
        let refused = AskError::Guard(GuardError(
            "The function load_extension() is not allowed in generated queries.".into(),
        ));
        assert_eq!(
            sql(&refused, "SELECT load_extension('x')", &s),
            refused.to_string()
        );
    }

    #[test]
    fn runtime_errors_go_back_as_a_fixed_category() {
        let s = schema();
        let q = "SELECT json_extract('{}', 'x' || (SELECT hex(group_concat(name || email)) FROM customers))";
        for (message, what) in [
            (
                "bad JSON path: 'x4D61726961204C6F70657A6D61726961406578616D706C652E636F6D'",
                "a JSON path or value was invalid",
            ),
            ("malformed JSON", "a JSON path or value was invalid"),
            (
                "integer overflow",
                "a number overflowed or was out of range",
            ),
            (
                "invalid input syntax for type integer: \"Maria Lopez\"",
                "a value had the wrong type",
            ),
            ("division by zero", "a number was divided by zero"),
            (
                "date/time field value out of range: \"2024-13-45\"",
                "a date or time value was invalid",
            ),
            (
                "more than one row returned by a subquery used as an expression",
                "a subquery returned more than one row",
            ),
        ] {
            assert_eq!(
                sql(&sqlite(message), q, &s),
                format!("{FAILED_RUNNING}: {what}"),
                "{message}"
            );
        }
        assert_eq!(
            sql(&sqlite("something new: Maria Lopez"), q, &s),
            FAILED_RUNNING
        );
        assert_eq!(
            sql(
                &AskError::Exec(ExecError::Missing("/home/ana/clinic.db".into())),
                q,
                &s
            ),
            FAILED_RUNNING
        );
        for limit in [
            ExecError::TimedOut(500),
            ExecError::ResultTooBig(32 << 20),
            ExecError::WorkerDied(1024),
        ] {
            let limit = AskError::Exec(limit);
            assert_eq!(sql(&limit, q, &s), limit.to_string());
        }
        let denied = AskError::Exec(ExecError::NotAllowed(
            "the function sqlite_version()".into(),
        ));
        assert_eq!(
            sql(&denied, "SELECT sqlite_version()", &s),
            denied.to_string()
        );
        let pg_denied = AskError::Exec(ExecError::NotAllowed(
            "permission denied for table secrets_of_Maria".into(),
        ));
        assert_eq!(
            sql(&pg_denied, "SELECT 1", &s),
            "the query tried something that is not allowed on a read-only connection"
        );
    }

    #[test]
    fn python_errors_go_back_as_their_type_and_line() {
        let s = schema();
        let script =
            "names = [r['name'] for r in rows]\nif names:\n    raise ValueError(names)\nresult = 1";
        let raised = |m: &str| AskError::Python(PyError::Script(m.into()));
        assert_eq!(
            python(&raised("ValueError: ['Maria Lopez', 'Tom Baker'] (line 3)"), script, "SELECT name FROM customers", &s),
            "the Python script raised ValueError on line 3 (its message is not passed on: it can contain data)"
        );
        // Not a Python type, not one of the script's lines: neither goes back.
        assert_eq!(
            python(&raised("MariaLopez: x (line 99)"), script, "", &s),
            "the Python script raised an exception (its message is not passed on: it can contain data)"
        );
        // The checker's refusal reads only the script.
        let bad = "import os\nresult = 1";
        let refused = AskError::Python(crate::python::validate(bad).expect_err("refused"));
        assert_eq!(python(&refused, bad, "", &s), refused.to_string());
        // The same words raised at run time are not the checker's.
        assert!(
            python(&raised("not allowed here: Maria Lopez"), script, "", &s)
                .starts_with("the Python script raised an exception")
        );
        let shape = AskError::Python(PyError::Shape("it printed more than 64 KB".into()));
        assert_eq!(python(&shape, script, "", &s), shape.to_string());
        let odd = AskError::Python(PyError::Shape("Maria Lopez".into()));
        assert_eq!(
            python(&odd, script, "", &s),
            "the Python script's answer cannot be shown as a table"
        );
        // The data query's failure is a SQL failure.
        assert_eq!(
            python(&sqlite("malformed JSON"), script, "SELECT 1", &s),
            format!("{FAILED_RUNNING}: a JSON path or value was invalid")
        );
    }
}
