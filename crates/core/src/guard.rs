//! `SqlGuard`: static validation of generated SQL before it runs.
//!
//! Accepts exactly one read-only query (SELECT / WITH … SELECT / VALUES), with functions from an
//! allowlist, and refuses everything else with a reason a non-technical user can read. This is
//! the first wall only: the executor (read-only connection, authorizer, time limit, row cap)
//! stops writes even when this check is bypassed.
//!
//! What it accepts comes back as a [`CheckedSql`], the only SQL a [`crate::source::DataSource`]
//! runs: unguarded text cannot reach a source by construction.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectName, Query, SetExpr, Statement, TableFactor, Visit, Visitor};
use sqlparser::dialect::{
    Dialect as SqlDialect, DuckDbDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect,
};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use crate::dialect::Dialect;
use sqlparser::parser::Parser;

/// Why a statement was refused. The message is meant to be shown as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GuardError(pub String);

/// SQLite functions generated code may call: ordinary scalar, aggregate, date, math, JSON and
/// window functions. Anything else (`load_extension`, `sqlite_*`, `randomblob`, `zeroblob`,
/// `fts3_tokenizer`, …) is refused here and again by the executor's authorizer. Size bombs
/// (`printf('%.*c', 1e9, 'x')`) are stopped by the executor's length limit, not by this list.
pub const ALLOWED_FUNCTIONS: &[&str] = &[
    // scalar
    "abs",
    "char",
    "coalesce",
    "concat",
    "concat_ws",
    "format",
    "glob",
    "hex",
    "ifnull",
    "iif",
    "if",
    "instr",
    "length",
    "like",
    "likelihood",
    "likely",
    "lower",
    "ltrim",
    "max",
    "min",
    "nullif",
    "octet_length",
    "printf",
    "quote",
    "replace",
    "round",
    "rtrim",
    "sign",
    "soundex",
    "substr",
    "substring",
    "trim",
    "typeof",
    "unhex",
    "unicode",
    "unlikely",
    "upper",
    "cast",
    // aggregate
    "avg",
    "count",
    "group_concat",
    "string_agg",
    "sum",
    "total",
    // date and time
    "date",
    "time",
    "datetime",
    "julianday",
    "unixepoch",
    "strftime",
    "timediff",
    // math
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "ceiling",
    "cos",
    "cosh",
    "degrees",
    "exp",
    "floor",
    "ln",
    "log",
    "log10",
    "log2",
    "mod",
    "pi",
    "pow",
    "power",
    "radians",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    // json
    "json",
    "json_array",
    "json_array_length",
    "json_extract",
    "json_group_array",
    "json_group_object",
    "json_object",
    "json_quote",
    "json_type",
    "json_valid",
    // window
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

/// PostgreSQL's everyday functions beyond the shared list. Anything else — `set_config`,
/// `pg_sleep`, `nextval`, `lo_import`, `dblink_exec`, `pg_read_file`, … — is refused.
pub const ALLOWED_POSTGRES_FUNCTIONS: &[&str] = &[
    "date_trunc",
    "date_part",
    "extract",
    "to_char",
    "to_date",
    "to_timestamp",
    "make_date",
    "age",
    "now",
    "current_date",
    "greatest",
    "least",
    "array_agg",
    "bool_and",
    "bool_or",
    "stddev",
    "variance",
    "percentile_cont",
    "position",
    "split_part",
    "left",
    "right",
    "lpad",
    "rpad",
    "initcap",
    "btrim",
    "regexp_replace",
    "div",
];

/// MariaDB's and MySQL's everyday date, text and math functions beyond the shared list. Anything
/// else — `sleep`, `benchmark`, `load_file`, `get_lock`, `master_pos_wait`, `sys_exec`, … — is
/// refused.
pub const ALLOWED_MYSQL_FUNCTIONS: &[&str] = &[
    "date_format",
    "year",
    "month",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "dayname",
    "monthname",
    "quarter",
    "week",
    "weekday",
    "weekofyear",
    "yearweek",
    "last_day",
    "makedate",
    "str_to_date",
    "date_add",
    "date_sub",
    "adddate",
    "subdate",
    "datediff",
    "timestampdiff",
    "curdate",
    "current_date",
    "extract",
    "greatest",
    "least",
    "locate",
    "left",
    "right",
    "lpad",
    "rpad",
    "char_length",
    "substring_index",
    "truncate",
    "std",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "regexp_replace",
    "regexp_substr",
    "convert",
];

/// DuckDB's everyday functions beyond the shared list. Its file readers (`read_csv`,
/// `read_parquet`, `glob`, `read_text`, …) are table functions, which are refused whatever their
/// name; `getenv`, `current_setting` and the `duckdb_*` catalog functions are not listed.
pub const ALLOWED_DUCKDB_FUNCTIONS: &[&str] = &[
    "date_trunc",
    "date_part",
    "datepart",
    "extract",
    "make_date",
    "strptime",
    "year",
    "month",
    "day",
    "quarter",
    "week",
    "weekday",
    "dayofweek",
    "dayofmonth",
    "dayofyear",
    "dayname",
    "monthname",
    "last_day",
    "date_diff",
    "datediff",
    "date_add",
    "date_sub",
    "age",
    "current_date",
    "today",
    "greatest",
    "least",
    "median",
    "mode",
    "quantile_cont",
    "quantile_disc",
    "percentile_cont",
    "percentile_disc",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "corr",
    "arg_max",
    "arg_min",
    "count_if",
    "bool_and",
    "bool_or",
    "first",
    "last",
    "any_value",
    "list",
    "array_agg",
    "position",
    "split_part",
    "left",
    "right",
    "lpad",
    "rpad",
    "starts_with",
    "ends_with",
    "contains",
    "regexp_matches",
    "regexp_replace",
    "regexp_extract",
    "try_cast",
    "round_even",
    "isnan",
    "isinf",
];

/// True when `name` (any case) is on the SQLite allowlist.
pub fn is_allowed_function(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ALLOWED_FUNCTIONS.contains(&lower.as_str())
}

fn is_allowed_in(name: &str, dialect: Dialect) -> bool {
    let extra = match dialect {
        Dialect::Sqlite => &[][..],
        Dialect::Postgres => ALLOWED_POSTGRES_FUNCTIONS,
        Dialect::Mysql => ALLOWED_MYSQL_FUNCTIONS,
        Dialect::Duckdb => ALLOWED_DUCKDB_FUNCTIONS,
    };
    is_allowed_function(name) || extra.contains(&name.to_ascii_lowercase().as_str())
}

/// The longest SQL the guard reads. Generated queries are a few hundred characters; a 300 KB
/// reply of `1+1+…` would build an expression deep enough to overflow the stack while it is
/// checked or dropped, so length is refused before parsing.
pub const MAX_SQL_BYTES: usize = 100_000;
/// The most operators one query may chain. A left-deep chain of binary operators is parsed
/// without recursion but walked (and dropped) recursively: bounding the operators bounds the
/// depth, whatever thread stack the caller has.
pub const MAX_OPERATORS: usize = 1_000;
/// The most SELECTs (queries, subqueries and CTEs) one query may hold. Generated queries have a
/// handful; PostgreSQL 15 takes 0.3 s to plan a chain of 250 CTEs, 27 s for 1,000 and minutes
/// for 3,000, in planning that neither its statement timeout nor a cancel interrupts.
pub const MAX_SELECTS: usize = 100;

/// Operators (`+`, `||`, `AND`, `=`, …) and SELECT keywords outside string literals, quoted names
/// and comments, as `dialect`'s own tokenizer reads them (so what it skips as a comment or a
/// string is exactly what the parser skips: counting with other rules let a chain hide behind
/// `\'` or `--x` and overflow the parser's stack).
fn operator_count(tokens: &[Token]) -> (usize, usize) {
    let mut count = 0;
    let mut selects = 0;
    for token in tokens {
        match token {
            Token::Word(w) if w.quote_style.is_none() => match w.keyword {
                // Keyword operators too: a chain of 2,000 `DIV` overflowed a 2 MB stack.
                Keyword::AND
                | Keyword::OR
                | Keyword::NOT
                | Keyword::DIV
                | Keyword::MOD
                | Keyword::XOR
                | Keyword::IS
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::IN
                | Keyword::BETWEEN
                | Keyword::REGEXP
                | Keyword::RLIKE
                | Keyword::SIMILAR
                | Keyword::COLLATE
                | Keyword::GLOB
                | Keyword::MATCH
                | Keyword::ESCAPE
                | Keyword::OVERLAPS => count += 1,
                Keyword::SELECT => selects += 1,
                _ => {}
            },
            Token::EOF
            | Token::Word(_)
            | Token::Number(..)
            | Token::Char(_)
            | Token::Whitespace(_)
            | Token::Comma
            | Token::LParen
            | Token::RParen
            | Token::Period
            | Token::SemiColon
            | Token::LBracket
            | Token::RBracket
            | Token::LBrace
            | Token::RBrace
            | Token::Colon
            | Token::Placeholder(_)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::QuoteDelimitedStringLiteral(_)
            | Token::NationalQuoteDelimitedStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_) => {}
            // Everything else is some operator.
            _ => count += 1,
        }
    }
    (count, selects)
}

/// Where MariaDB/MySQL or DuckDB would read the text otherwise than the parser does, the SQL is
/// refused before it is parsed (what the guard checked must be what the server runs):
/// - a backslash anywhere: MariaDB reads it as an escape in every string, the parser not in all
///   (`b"\" , SLEEP(60) , "`), and DuckDB in none (`X'\' ; COPY … '`);
/// - `--` followed by anything but a space, tab or line break: MariaDB starts a comment only
///   then, the parser after any Unicode space (`--\u{a0}, GET_LOCK(…)` ran on MariaDB);
/// - `/*! … */` and `/*M! … */` comments, which MariaDB runs as code;
/// - variables (`@x`, `@@datadir`), `:=` assignments and `INTO` anywhere: none is needed to read
///   data, and each reads or changes session or server state.
fn ambiguous(tokens: &[Token], sql: &str, dialect: Dialect) -> Option<String> {
    if !matches!(dialect, Dialect::Mysql | Dialect::Duckdb) {
        return None;
    }
    let server = dialect.name();
    if sql.contains('\\') {
        return Some(format!("The SQL holds a backslash (\\), which {server} and Plainsight's checks would read differently; it is not allowed."));
    }
    // A carriage return ends a `--` comment for DuckDB, not for the parser; Unicode spaces
    // (U+00A0, U+2028, …) separate words for the parser, not always for the servers; DuckDB
    // has no backtick names.
    if sql.contains('\r') {
        return Some(format!("The SQL holds a carriage return outside a line break, which {server} and Plainsight's checks would read differently; it is not allowed."));
    }
    if let Some(c) = sql.chars().find(|c| c.is_whitespace() && !c.is_ascii()) {
        return Some(format!("The SQL holds the Unicode space U+{:04X}, which {server} and Plainsight's checks would read differently; it is not allowed.", u32::from(c)));
    }
    if dialect == Dialect::Duckdb && sql.contains('`') {
        return Some("The SQL holds a backtick (`), which DuckDB and Plainsight's checks would read differently; it is not allowed.".into());
    }
    // MariaDB ends a number at its first letter (`1.0FROM` is `1.0 FROM`); the parser reads a
    // word that starts with a digit, and a number glued to a word, as one name.
    if dialect == Dialect::Mysql {
        let starts_with_number = |t: &Token| {
            matches!(t, Token::Word(w) if w.quote_style.is_none()
                && w.value.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
        };
        let glued = tokens.iter().enumerate().any(|(i, t)| {
            starts_with_number(t)
                || matches!(t, Token::Number(..))
                    && matches!(tokens.get(i + 1), Some(Token::Word(_)))
        });
        if glued {
            return Some("The SQL glues a number to a word (as in 1.0FROM), which MariaDB and Plainsight's checks would read differently; put a space between them.".into());
        }
    }
    for token in tokens {
        match token {
            Token::Whitespace(Whitespace::SingleLineComment { prefix, comment })
                if prefix == "--"
                    && !comment.is_empty()
                    && !comment.starts_with([' ', '\t', '\n', '\r']) =>
            {
                return Some(format!("The SQL has a -- comment not followed by a plain space, which {server} would not read as a comment; it is not allowed."));
            }
            Token::Whitespace(Whitespace::MultiLineComment(text))
                if text.starts_with('!') || text.starts_with("M!") =>
            {
                return Some("The SQL holds a /*! … */ comment, which MariaDB and MySQL would run as code; it is not allowed.".into());
            }
            // `DISTINCT@@datadir` is one word to the parser, two to MariaDB.
            Token::Word(w) if w.quote_style.is_none() && w.value.contains('@') => {
                return Some(format!(
                    "The SQL uses the variable {}; generated queries cannot read or set variables.",
                    w.value
                ));
            }
            Token::AtSign | Token::Assignment => {
                return Some(
                    "The SQL reads or sets a variable (@ or :=); generated queries cannot.".into(),
                );
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::INTO => {
                return Some(
                    "SELECT … INTO writes a file, a table or a variable, which is not allowed."
                        .into(),
                );
            }
            _ => {}
        }
    }
    None
}

/// SQL the guard accepted, and the dialect it was checked for: the only SQL
/// [`DataSource::run`](crate::source::DataSource::run) takes, and a source refuses one checked
/// for another dialect.
///
/// Its fields are private and [`check_for`] (or [`check`]) is its only constructor, so SQL that
/// skipped the guard does not type-check where a source runs it (E0451, private fields; the
/// second example, with the same imports, proves the first fails for that reason alone):
///
/// ```compile_fail,E0451
/// use plainsight_core::guard::CheckedSql;
/// use plainsight_core::source::Dialect;
/// let forged = CheckedSql { sql: "DELETE FROM orders".into(), dialect: Dialect::Sqlite };
/// ```
///
/// ```
/// use plainsight_core::guard;
/// use plainsight_core::source::Dialect;
/// let checked = guard::check_for("SELECT 1;", Dialect::Postgres).unwrap();
/// assert_eq!((checked.as_str(), checked.dialect()), ("SELECT 1", Dialect::Postgres));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSql {
    sql: String,
    dialect: Dialect,
}

impl CheckedSql {
    /// The trimmed statement, as it runs.
    pub fn as_str(&self) -> &str {
        &self.sql
    }

    /// The dialect it was checked for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The statement, to show or store (no longer runnable as such).
    pub fn into_string(self) -> String {
        self.sql
    }
}

impl std::fmt::Display for CheckedSql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql)
    }
}

/// Checks that `sql` is exactly one read-only SQLite query. Returns the trimmed statement.
pub fn check(sql: &str) -> Result<CheckedSql, GuardError> {
    check_for(sql, Dialect::Sqlite)
}

/// Checks that `sql` is exactly one read-only query in `dialect`. Returns the trimmed statement,
/// marked as checked for `dialect`.
pub fn check_for(sql: &str, dialect: Dialect) -> Result<CheckedSql, GuardError> {
    let trimmed = sql.trim().trim_end_matches(';').trim();
    // Line breaks as the servers and the parser all read them (a reply's CRLF included).
    let unified;
    let trimmed = if trimmed.contains("\r\n") && matches!(dialect, Dialect::Mysql | Dialect::Duckdb)
    {
        unified = trimmed.replace("\r\n", "\n");
        unified.as_str()
    } else {
        trimmed
    };
    if trimmed.is_empty() {
        return Err(GuardError("There is no SQL to run.".into()));
    }
    if trimmed.len() > MAX_SQL_BYTES {
        return Err(GuardError(format!(
            "The SQL is {} characters long; Plainsight runs queries of at most {MAX_SQL_BYTES} characters.",
            trimmed.len()
        )));
    }
    let parser_dialect: &dyn SqlDialect = match dialect {
        Dialect::Sqlite => &SQLiteDialect {},
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::Mysql => &MySqlDialect {},
        Dialect::Duckdb => &DuckDbDialect {},
    };
    let tokens = Tokenizer::new(parser_dialect, trimmed)
        .tokenize()
        .map_err(|e| GuardError(format!("The SQL could not be read: {e}.")))?;
    if let Some(refusal) = ambiguous(&tokens, trimmed, dialect) {
        return Err(GuardError(refusal));
    }
    let (operators, selects) = operator_count(&tokens);
    if operators > MAX_OPERATORS {
        return Err(GuardError(format!(
            "The SQL chains {operators} operators; Plainsight runs queries with at most {MAX_OPERATORS}, so checking it can never exhaust memory."
        )));
    }
    if selects > MAX_SELECTS {
        return Err(GuardError(format!(
            "The SQL holds {selects} SELECTs (queries, subqueries and WITH parts); Plainsight runs queries with at most {MAX_SELECTS}, so the database can always plan them quickly."
        )));
    }
    let statements = Parser::parse_sql(parser_dialect, trimmed)
        .map_err(|e| GuardError(format!("The SQL could not be read: {e}.")))?;
    let [statement] = statements.as_slice() else {
        return Err(GuardError(format!(
            "Only one statement can run at a time; this has {}.",
            statements.len()
        )));
    };
    let Statement::Query(_) = statement else {
        return Err(GuardError(format!(
            "Only read-only queries can run; {} statements are not allowed.",
            verb(statement)
        )));
    };
    if let ControlFlow::Break(reason) = statement.visit(&mut ReadOnly { dialect }) {
        return Err(GuardError(reason));
    }
    Ok(CheckedSql {
        sql: trimmed.to_string(),
        dialect,
    })
}

/// A short name for a statement kind ("DELETE", "PRAGMA"), for messages.
fn verb(statement: &Statement) -> String {
    let text = statement.to_string();
    text.split_whitespace()
        .next()
        .unwrap_or("this")
        .to_ascii_uppercase()
}

struct ReadOnly {
    dialect: Dialect,
}

impl Visitor for ReadOnly {
    type Break = String;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<String> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            other => ControlFlow::Break(format!(
                "Writes and commands are not allowed inside a query ({} found).",
                verb(other)
            )),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                if writes(&cte.query.body) {
                    return ControlFlow::Break(
                        "Data-modifying WITH clauses are not allowed.".into(),
                    );
                }
            }
        }
        if writes(&query.body) {
            return ControlFlow::Break(
                "Only read-only queries can run; this one changes data.".into(),
            );
        }
        if !query.locks.is_empty() {
            return ControlFlow::Break(
                "SELECT … FOR UPDATE (or FOR SHARE) locks rows for writing, which is not allowed."
                    .into(),
            );
        }
        if let SetExpr::Select(select) = query.body.as_ref() {
            if select.into.is_some() {
                return ControlFlow::Break(
                    "SELECT … INTO creates a table, which is not allowed.".into(),
                );
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        if let TableFactor::Table {
            name,
            args: Some(_),
            ..
        } = factor
        {
            // Table-valued functions (pragma_table_info, json_each, …) are not on the allowlist.
            return ControlFlow::Break(format!(
                "The table function {} is not allowed.",
                last_part(name)
            ));
        }
        if let TableFactor::TableFunction { .. }
        | TableFactor::Function { .. }
        | TableFactor::JsonTable { .. }
        | TableFactor::OpenJsonTable { .. }
        | TableFactor::XmlTable { .. } = factor
        {
            return ControlFlow::Break("Table functions are not allowed.".into());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<String> {
        let name = last_part(relation).to_ascii_lowercase();
        // The server's own catalogs (accounts, grants, settings, other databases' columns).
        if relation.0.len() > 1 {
            let schema = relation.0[relation.0.len() - 2]
                .to_string()
                .trim_matches(['"', '[', ']', '`'])
                .to_ascii_lowercase();
            if matches!(
                schema.as_str(),
                "mysql" | "performance_schema" | "sys" | "information_schema" | "pg_catalog"
            ) {
                return ControlFlow::Break(format!(
                    "{schema}.{name} is the database server's own catalog, which generated queries cannot read."
                ));
            }
        }
        // MariaDB: another database's tables (`other_shop.orders`); DuckDB: a file named as a
        // table (`FROM secret.csv`, `FROM "/home/ana/other.csv"`) or its catalog
        // (`pg_settings`, `duckdb_views`). Only the source's own tables, named alone, are read.
        if matches!(self.dialect, Dialect::Mysql | Dialect::Duckdb) && relation.0.len() > 1 {
            return ControlFlow::Break(format!(
                "{relation} names another database or file; only this source's own tables can be read."
            ));
        }
        if self.dialect == Dialect::Duckdb
            && (relation.to_string().contains('\'')
                || name.contains(['/', '\\', ':', '*', '?', '[', '.'])
                || ["pg_", "duckdb_", "sqlite_", "information_schema"]
                    .iter()
                    .any(|p| name.starts_with(p)))
        {
            return ControlFlow::Break(format!(
                "{name} is a file or one of DuckDB's own tables; only the file you opened can be read."
            ));
        }
        // MariaDB's generated number tables (`seq_1_to_1000000000`).
        if self.dialect == Dialect::Mysql
            && name
                .strip_prefix("seq_")
                .is_some_and(|rest| rest.split("_to_").count() == 2)
        {
            return ControlFlow::Break(format!(
                "{name} is one of MariaDB's generated tables, which generated queries cannot read."
            ));
        }
        if name.starts_with("pragma_") {
            return ControlFlow::Break(format!("{name} is a PRAGMA, which is not allowed."));
        }
        // Virtual tables that read the file's pages or expand JSON, even named without arguments.
        if matches!(
            name.as_str(),
            "dbstat"
                | "json_each"
                | "json_tree"
                | "jsonb_each"
                | "jsonb_tree"
                | "generate_series"
                | "fts3tokenize"
        ) || name.starts_with("sqlite_stat")
            || name == "sqlite_dbpage"
        {
            return ControlFlow::Break(format!(
                "{name} is a built-in table of SQLite, which generated queries cannot read."
            ));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        if let Expr::Function(function) = expr {
            let name = last_part(&function.name);
            if function.name.0.len() > 1 || !is_allowed_in(&name, self.dialect) {
                return ControlFlow::Break(format!(
                    "The function {name}() is not allowed in generated queries."
                ));
            }
        }
        ControlFlow::Continue(())
    }
}

fn writes(body: &SetExpr) -> bool {
    match body {
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => true,
        SetExpr::SetOperation { left, right, .. } => writes(left) || writes(right),
        SetExpr::Query(q) => writes(&q.body),
        _ => false,
    }
}

fn last_part(name: &ObjectName) -> String {
    // Any quoting style: "x", [x], `x` (sqlparser keeps brackets and backticks in the text).
    name.0
        .last()
        .map(|p| p.to_string().trim_matches(['"', '[', ']', '`']).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(sql: &str) -> (usize, usize) {
        operator_count(&Tokenizer::new(&SQLiteDialect {}, sql).tokenize().unwrap())
    }

    #[track_caller]
    fn accepted(sql: &str) {
        if let Err(e) = check(sql) {
            panic!("expected {sql:?} to be accepted, refused: {e}");
        }
    }

    #[track_caller]
    fn refused(sql: &str, why: &str) {
        match check(sql) {
            Ok(_) => panic!("expected {sql:?} to be refused"),
            Err(e) => assert!(
                e.0.contains(why),
                "{sql:?} refused with {:?}, expected it to mention {why:?}",
                e.0
            ),
        }
    }

    #[test]
    fn read_only_queries_are_accepted() {
        accepted("SELECT region, SUM(revenue) FROM sales GROUP BY region");
        accepted("select * from sales limit 5;");
        accepted("WITH m AS (SELECT month, SUM(revenue) r FROM sales GROUP BY month) SELECT * FROM m ORDER BY r DESC");
        accepted("SELECT date('2026-11-26','start of month','-1 month'), strftime('%Y', order_date) FROM orders");
        accepted("SELECT printf('%.2f', total(revenue)), round(avg(quantity), 1), coalesce(NULL, 1) FROM sales");
        accepted("SELECT product, row_number() OVER (ORDER BY SUM(revenue) DESC) FROM sales GROUP BY product");
        accepted("SELECT group_concat(name, ', '), count(DISTINCT segment) FROM customers");
        accepted("SELECT 1 UNION ALL SELECT 2");
        accepted("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT x FROM n");
        accepted("SELECT CAST(substr(order_date, 1, 4) AS INTEGER) FROM orders WHERE status IN ('completed')");
    }

    #[test]
    fn writes_and_commands_are_refused() {
        refused("DELETE FROM orders", "DELETE");
        refused("DROP TABLE customers", "DROP");
        refused("UPDATE orders SET status = 'x'", "UPDATE");
        refused("INSERT INTO regions VALUES (9, 'Moon')", "INSERT");
        refused("PRAGMA query_only = 0", "PRAGMA");
        refused("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH");
        refused("VACUUM", "VACUUM");
        refused("CREATE TABLE t(x)", "CREATE");
        refused("CREATE TEMP TABLE t AS SELECT 1", "CREATE");
        refused("BEGIN", "BEGIN");
    }

    #[test]
    fn more_than_one_statement_is_refused() {
        refused("SELECT 1; DELETE FROM orders", "one statement");
        refused("SELECT 1; SELECT 2", "one statement");
        refused("   ", "no SQL");
    }

    #[test]
    fn functions_off_the_allowlist_are_refused() {
        refused("SELECT load_extension('/tmp/evil.so')", "load_extension");
        refused("SELECT sqlite_version()", "sqlite_version");
        refused("SELECT randomblob(1000000000)", "randomblob");
        refused(
            "SELECT * FROM pragma_table_info('orders')",
            "pragma_table_info",
        );
        refused("SELECT main.evil(1)", "evil");
    }

    #[test]
    fn postgres_escapes_are_refused() {
        let pg = |sql: &str| check_for(sql, Dialect::Postgres);
        assert!(pg(
            "SELECT to_char(order_date::date, 'YYYY-MM'), date_trunc('week', now()) FROM sales"
        )
        .is_ok());
        for (sql, why) in [
            (
                "SELECT set_config('statement_timeout', '0', false)",
                "set_config",
            ),
            ("SELECT pg_sleep(60)", "pg_sleep"),
            ("SELECT nextval('orders_order_id_seq')", "nextval"),
            ("SELECT lo_import('/etc/passwd')", "lo_import"),
            ("COMMIT; DELETE FROM orders", "one statement"),
            (
                "WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d",
                "not allowed",
            ),
            ("COPY orders TO '/tmp/x'", "COPY"),
        ] {
            let e = pg(sql).expect_err(sql);
            assert!(e.0.contains(why), "{sql}: {e}");
        }
        assert!(
            check("SELECT date_trunc('month', order_date) FROM sales").is_err(),
            "Postgres-only functions are not allowed on SQLite"
        );
    }

    #[test]
    fn mysql_escapes_are_refused() {
        let my = |sql: &str| check_for(sql, Dialect::Mysql);
        for sql in [
            "SELECT DATE_FORMAT(`order_date`, '%Y-%m') AS month, SUM(revenue) FROM `sales` GROUP BY 1",
            "SELECT CONCAT(YEAR(order_date), '-Q', QUARTER(order_date)) FROM sales",
            "SELECT region FROM sales WHERE order_date >= DATE_SUB('2026-11-26', INTERVAL 30 DAY)",
            "SELECT 1 -- a comment\n",
            "SELECT 1 # a comment",
            "SELECT 1 /* an ordinary comment */",
        ] {
            assert!(my(sql).is_ok(), "{sql}: {:?}", my(sql));
        }
        for (sql, why) in [
            ("DELETE FROM orders", "DELETE"),
            ("UPDATE orders SET status = 'refunded'", "UPDATE"),
            ("SELECT * FROM orders INTO OUTFILE '/tmp/o.csv'", ""),
            ("SELECT LOAD_FILE('/etc/passwd')", "load_file"),
            ("SELECT SLEEP(60)", "SLEEP"),
            ("SELECT BENCHMARK(100000000, MD5('x'))", "BENCHMARK"),
            ("SET SESSION max_statement_time = 0", "SET"),
            ("SELECT 1; DELETE FROM orders", "one statement"),
            ("LOCK TABLES orders WRITE", ""),
            ("CALL purge_orders()", "CALL"),
            // Our parser reads `/*!` as MariaDB does (its text is code); `/*M!` it skips, so
            // both are refused outright.
            ("SELECT 1 /*!, SLEEP(60) */", ""),
            ("SELECT 1 /*M!100000 , SLEEP(60) */", "/*!"),
            ("SELECT 1 /*!50000 INTO OUTFILE '/tmp/o' */", ""),
            ("SELECT * FROM orders FOR UPDATE", "FOR UPDATE"),
            ("SELECT * FROM orders LOCK IN SHARE MODE", ""),
            (
                "SELECT user, authentication_string FROM mysql.user",
                "catalog",
            ),
            // `--x` is not a comment in MariaDB: minus, minus, and a call the guard must see.
            ("SELECT 1 --LOAD_FILE('/etc/passwd')", "load_file"),
            ("HANDLER orders OPEN", ""),
            ("DO SLEEP(60)", ""),
        ] {
            let e = my(sql).expect_err(sql);
            assert!(
                e.0.to_lowercase().contains(&why.to_lowercase()),
                "{sql}: {e}"
            );
        }
    }

    #[test]
    fn duckdb_file_reads_are_refused() {
        let duck = |sql: &str| check_for(sql, Dialect::Duckdb);
        assert!(duck("SELECT strftime(CAST(order_date AS DATE), '%Y-%m') AS month, SUM(revenue) FROM data GROUP BY 1").is_ok());
        assert!(duck("SELECT date_trunc('week', CAST(order_date AS DATE)) FROM data").is_ok());
        for (sql, why) in [
            ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
            ("SELECT * FROM read_text('/etc/passwd')", "read_text"),
            ("SELECT * FROM glob('/home/*')", "glob"),
            ("SELECT * FROM \"/etc/passwd\"", "is a file"),
            ("SELECT * FROM \"other.csv\"", "is a file"),
            ("SELECT getenv('HOME')", "getenv"),
            (
                "SELECT current_setting('enable_external_access')",
                "current_setting",
            ),
            ("COPY data TO '/tmp/x.csv'", "COPY"),
            ("INSTALL httpfs", ""),
            ("ATTACH '/tmp/x.db'", ""),
            ("SET enable_external_access = true", "SET"),
        ] {
            let e = duck(sql).expect_err(sql);
            assert!(e.0.contains(why), "{sql}: {e}");
        }
    }

    /// The red team's bypasses (text the parser read one way and the server another) and the
    /// state readers they found, each refused.
    #[test]
    fn text_the_server_would_read_otherwise_is_refused() {
        let my = |sql: &str| check_for(sql, Dialect::Mysql);
        let duck = |sql: &str| check_for(sql, Dialect::Duckdb);
        for sql in [
            "SELECT b\"\\\" , \" , @@datadir, CURRENT_USER(), GET_LOCK('x',0) -- \"\nFROM (SELECT 1 AS b) t",
            "SELECT 1 --\u{a0}, VERSION(), GET_LOCK('y',0)\nFROM (SELECT 1 AS `\u{a0}`) t",
            "SELECT 1 --\u{3000}, SLEEP(60)",
            "SELECT @@datadir, @@log_error, @@plugin_dir",
            "SELECT @a := 1",
            "SELECT 1 UNION SELECT 1 INTO @v",
            "SELECT region FROM sales INTO OUTFILE '/tmp/x'",
            "SELECT * FROM other_shop.orders",
            "SELECT * FROM information_schema.processlist",
            "SELECT * FROM seq_1_to_1000000000",
            "SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (x INT PATH '$')) AS j",
            "SELECT 'a\\' OR 1=1",
        ] {
            assert!(my(sql).is_err(), "MariaDB: {sql:?} must be refused");
        }
        for sql in [
            "SELECT X'\\' ; COPY (SELECT 42 AS x) TO $$/tmp/x.csv$$ -- '",
            "SELECT * FROM secret.csv",
            "SELECT * FROM \"/tmp/redteam/secret\".csv",
            "SELECT name, setting FROM pg_settings",
            "SELECT * FROM duckdb_views",
            "SELECT * FROM sqlite_master",
            "SELECT * FROM information_schema.tables",
        ] {
            assert!(duck(sql).is_err(), "DuckDB: {sql:?} must be refused");
        }
        // The second round's: `@` inside a word, a carriage return ending a DuckDB comment,
        // Unicode spaces DuckDB keeps in names, backticks DuckDB reads as an operator.
        for sql in [
            "SELECT DISTINCT@@datadir",
            "SELECT COUNT(*) FROM orders WHERE@@autocommit",
            "SELECT 42 INTO@v",
            "SELECT BINARY@@hostname",
            // The third round's: a number glued to FROM hides the FROM clause from the parser.
            "SELECT VARIABLE_VALUE, 1.0FROM orders, information_schema.GLOBAL_VARIABLES",
            "SELECT Name, 1.FROM orders, chinook.Artist",
            "SELECT ID, .5FROM orders, information_schema.PROCESSLIST",
            "SELECT 1e5FROM orders",
        ] {
            assert!(my(sql).is_err(), "MariaDB: {sql:?} must be refused");
        }
        for sql in [
            "SELECT 1 AS a -- x\r, (SELECT count(*) FROM duckdb_settings()) AS s",
            "SELECT \u{2028}$$ , (SELECT count(*) FROM duckdb_settings()) AS n, x$$ AS z FROM (SELECT 1 AS a) t",
            "WITH x AS (SELECT 1 `) SELECT 1 AS a; COPY (SELECT 1) TO 'f'; WITH y AS (SELECT 1 `) SELECT 1",
            "SELECT name, setting FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT 1 AS y) q, 'pg_settings'",
        ] {
            assert!(duck(sql).is_err(), "DuckDB: {sql:?} must be refused");
        }
        // Ordinary comments pass, and a reply's CRLF line breaks read as line breaks; a Unicode
        // space is refused even inside a value (the price of reading exactly as the servers do).
        assert!(my("SELECT region -- the region\r\nFROM sales").is_ok());
        assert!(duck("SELECT region FROM sales -- by region").is_ok());
        assert!(
            my("SELECT region FROM sales WHERE city = 'Portland\u{a0}ME'")
                .unwrap_err()
                .0
                .contains("U+00A0")
        );
    }

    /// Counting follows the dialect's own reading, so a chain cannot hide from the count behind
    /// text the counter skipped and the parser did not (`'\'` in MariaDB, `--x`, `[…]` lists).
    #[test]
    fn operator_chains_are_counted_as_the_parser_reads_them() {
        let chain = vec!["1"; 2_000].join("+");
        let divs = format!("SELECT 1{}", " DIV 1".repeat(2_000));
        let err = check_for(&divs, Dialect::Mysql).unwrap_err().0;
        assert!(err.contains("operators"), "{err}");
        for (sql, dialect) in [
            (format!("SELECT [{chain}]"), Dialect::Duckdb),
            (format!("SELECT 1 --x\n+{chain}"), Dialect::Mysql),
            (format!("SELECT [{chain}]"), Dialect::Postgres),
        ] {
            let err = check_for(&sql, dialect).unwrap_err().0;
            assert!(
                err.contains("operators") || err.contains("--"),
                "{dialect:?}: {err}"
            );
        }
    }

    #[test]
    fn garbage_is_refused_in_plain_words() {
        refused("SELEC region FROM", "could not be read");
    }

    #[test]
    fn deep_and_huge_sql_is_refused_before_it_can_crash() {
        // A 140,000-term chain overflowed the stack while it was checked (SIGABRT): refused by
        // length; a chain within the length limit is refused by its operators, in a test thread
        // (2 MB stack, smaller than the app's) without overflowing.
        let chain = |n: usize| format!("SELECT {}", vec!["1"; n].join("+"));
        for (sql, says) in [
            (chain(140_000), "characters long"),
            (chain(40_000), "operators"),
            (
                format!(
                    "SELECT 1 FROM sales WHERE {}",
                    vec!["region = 'x'"; 2_000].join(" OR ")
                ),
                "operators",
            ),
        ] {
            let err = check(&sql).unwrap_err().0;
            assert!(err.contains(says), "{err}");
        }
        // Real queries stay well inside, and operators inside strings or comments do not count.
        assert!(check(&chain(900)).is_ok());
        assert!(check(&format!(
            "SELECT '{}' -- {}",
            "+".repeat(5_000),
            "+".repeat(5_000)
        ))
        .is_ok());
        assert_eq!(
            count("SELECT a + b FROM t WHERE x = 'a+b' AND y <> 2 /* + */"),
            (4, 1)
        );
        // A chain of CTEs that PostgreSQL would plan for minutes is refused by its SELECTs,
        // in both dialects; twenty steps (more than any real question needs) pass.
        let ctes = |n: usize| {
            let parts: Vec<String> = (1..n)
                .map(|i| format!("c{i} AS (SELECT x FROM c{})", i - 1))
                .collect();
            format!(
                "WITH c0 AS (SELECT 1 AS x), {} SELECT x FROM c{}",
                parts.join(", "),
                n - 1
            )
        };
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let err = check_for(&ctes(3_000), dialect).unwrap_err().0;
            assert!(err.contains("3001 SELECTs"), "{err}");
            assert!(check_for(&ctes(20), dialect).is_ok());
        }
        assert_eq!(count("SELECT 'select' AS \"select\" -- select"), (0, 1));
    }

    #[test]
    fn pragmas_and_virtual_tables_are_refused_however_they_are_quoted() {
        for sql in [
            "SELECT * FROM [pragma_table_info]",
            "SELECT * FROM `pragma_database_list`",
            "SELECT * FROM \"pragma_table_info\"",
            "SELECT * FROM dbstat",
            "SELECT * FROM json_each",
            "SELECT * FROM main.json_tree",
            "SELECT * FROM sqlite_dbpage",
        ] {
            assert!(check(sql).is_err(), "{sql} must be refused");
        }
        assert!(check("SELECT region FROM [sales]").is_ok());
    }

    #[test]
    fn checked_sql_is_the_trimmed_statement_and_its_dialect() {
        let sqlite = check("  SELECT 1 ;\n").unwrap();
        assert_eq!(
            (sqlite.as_str(), sqlite.dialect(), sqlite.to_string()),
            ("SELECT 1", Dialect::Sqlite, "SELECT 1".to_string())
        );
        let pg = check_for("SELECT now()", Dialect::Postgres).unwrap();
        assert_eq!(
            (pg.dialect(), pg.into_string()),
            (Dialect::Postgres, "SELECT now()".to_string())
        );
        // No public constructor besides the guard: the `compile_fail` doctest on `CheckedSql`
        // proves a struct literal does not build outside this module.
    }
}
