//! From a [`Reading`] to SQL: choose the one table or view that can answer every part of the
//! question, then write a single read-only SELECT with a plain-words interpretation.

use std::collections::BTreeMap;

use super::lexicon::{canonical, singular, Grain, MEASURE_SYNONYMS};
use super::model::{name_words, Model, TableModel, ValueRef};
use super::{Dim, Measure, Order, Reading};
use crate::schema::quote_ident;

pub struct Built {
    pub sql: String,
    pub interpretation: String,
    pub title: String,
}

struct Choice<'a> {
    table: &'a TableModel,
    score: i32,
    missing: Vec<String>,
    measure: (String, String, String),
    dims: Vec<(String, String, String)>,
    filters: Vec<&'a ValueRef>,
    date: Option<String>,
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn label(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The best date column of a table for this question: one the question names, else the first.
fn date_column(t: &TableModel, words: &[String]) -> Option<String> {
    t.dates
        .iter()
        .max_by_key(|d| {
            let parts = name_words(d);
            let named = parts
                .iter()
                .any(|p| p != "date" && words.iter().any(|w| w.len() >= 4 && (w.starts_with(p.as_str()) || p.starts_with(w.as_str()))));
            let signup = parts.iter().any(|p| p.starts_with("sign") || p == "created" || p == "joined" || p == "registered")
                && words.iter().any(|w| matches!(w.as_str(), "signed" | "signup" | "signups" | "new" | "joined" | "registered"));
            (i32::from(named) * 2 + i32::from(signup) * 3, -(t.dates.iter().position(|x| x == *d).unwrap_or(0) as i32))
        })
        .cloned()
}

fn grain_expr(t: &TableModel, grain: Grain, date: &str) -> String {
    let d = quote_ident(date);
    match grain {
        Grain::Day => format!("date({d})"),
        Grain::Week => format!("date({d}, 'weekday 0', '-6 days')"),
        Grain::Month => t.month.as_ref().map_or_else(|| format!("strftime('%Y-%m', {d})"), |m| quote_ident(m)),
        Grain::Quarter => format!("strftime('%Y', {d}) || '-Q' || ((CAST(strftime('%m', {d}) AS INTEGER) + 2) / 3)"),
        Grain::Year => format!("strftime('%Y', {d})"),
    }
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

/// (expression, alias, description) of the measure over `t`, and a preference score.
fn measure_for(model: &Model, t: &TableModel, r: &Reading) -> Option<((String, String, String), i32)> {
    let m = r.measure.as_ref()?;
    match m {
        Measure::Sum { word } | Measure::Avg { word } => {
            let (_, col, score) = model.measure_columns(word).into_iter().find(|(tn, _, _)| *tn == t.name)?;
            let avg = matches!(m, Measure::Avg { .. });
            let alias = if avg { format!("average_{}", col.to_lowercase()) } else { col.to_lowercase() };
            let desc = format!("{word} = {} of {} in {}", if avg { "average" } else { "sum" }, col, t.name);
            Some(((format!("{}({})", if avg { "AVG" } else { "SUM" }, quote_ident(&col)), alias, desc), i32::from(score)))
        }
        Measure::Count { entity, with_orders, new } => {
            let own = model.entity_table(entity);
            let plural = own.map_or_else(|| format!("{entity}s"), |o| o.name.to_lowercase());
            if own.is_some_and(|o| o.name == t.name) {
                let pref = if *new { 6 } else { 2 };
                return Some((("COUNT(*)".into(), plural.clone(), format!("{plural} = number of rows in {}", t.name)), pref));
            }
            let key = entity_key(t, entity)?;
            // A view that carries the entity's own date is its curated form ("completed orders").
            let curated = t.is_view && own.is_some_and(|o| !o.dates.is_empty() && o.dates.iter().all(|d| t.has(d)));
            let pref = 1 + if curated { 2 } else { 0 } + if *with_orders || (r.window.is_some() && !new) { 2 } else { 0 };
            Some((
                (
                    format!("COUNT(DISTINCT {})", quote_ident(&key)),
                    plural.clone(),
                    format!("{plural} = number of distinct {key} in {}", t.name),
                ),
                pref,
            ))
        }
        Measure::OrderValue => {
            let money = money_column(model, t)?;
            let key = entity_key(t, "order")?;
            let expr = format!("SUM({}) * 1.0 / NULLIF(COUNT(DISTINCT {}), 0)", quote_ident(&money), quote_ident(&key));
            Some((
                (
                    expr,
                    "average_order_value".into(),
                    format!("average order value = sum of {money} / number of distinct {key} in {}", t.name),
                ),
                3,
            ))
        }
        Measure::Margin => {
            let money = money_column(model, t)?;
            let (_, profit, _) = model.measure_columns("profit").into_iter().find(|(tn, _, _)| *tn == t.name)?;
            let expr = format!("SUM({}) * 1.0 / NULLIF(SUM({}), 0)", quote_ident(&profit), quote_ident(&money));
            Some(((expr, "profit_margin".into(), format!("profit margin = sum of {profit} / sum of {money} in {}", t.name)), 3))
        }
    }
}

fn choose<'a>(model: &'a Model, r: &'a Reading) -> Option<Choice<'a>> {
    // Filters grouped by the words that named them: one value may live in several tables.
    let mut filter_groups: BTreeMap<String, Vec<&ValueRef>> = BTreeMap::new();
    for f in &r.filters {
        filter_groups.entry(f.value.to_lowercase()).or_default().push(f);
    }
    let mut best: Option<Choice<'a>> = None;
    for t in &model.tables {
        let mut score = 0;
        let mut missing = Vec::new();
        let measure = match measure_for(model, t, r) {
            Some((m, pref)) => {
                score += 10 + pref;
                m
            }
            None => {
                missing.push("the figure asked for".to_string());
                (String::new(), String::new(), String::new())
            }
        };
        let date = date_column(t, &r.words);
        let mut dims = Vec::new();
        for dim in &r.dims {
            match dim {
                Dim::Grain(g) => match (&date, g, &t.month) {
                    (_, Grain::Month, Some(m)) => dims.push((quote_ident(m), m.clone(), format!("by month ({m})"))),
                    (Some(d), _, _) => dims.push((grain_expr(t, *g, d), g.label().to_string(), format!("by {} (from {d})", g.label()))),
                    (None, _, _) => missing.push(format!("a date to group by {}", g.label())),
                },
                Dim::Column { word } => match model.dim_columns(word).into_iter().find(|(tn, _)| *tn == t.name) {
                    Some((_, c)) => {
                        score += 1;
                        dims.push((quote_ident(&c), c.clone(), format!("by {c}")));
                    }
                    None => missing.push(format!("\"{word}\"")),
                },
            }
        }
        let mut filters = Vec::new();
        for (value, refs) in &filter_groups {
            match refs.iter().find(|v| v.table == t.name) {
                Some(v) => filters.push(*v),
                None => missing.push(format!("\"{value}\"")),
            }
        }
        if r.window.is_some() && date.is_none() {
            missing.push("a date for the time range".into());
        }
        score -= 100 * missing.len() as i32;
        score += i32::from(t.is_view);
        if best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Choice { table: t, score, missing, measure, dims, filters, date });
        }
    }
    best
}

pub fn build(model: &Model, r: &Reading) -> Result<Built, String> {
    let c = choose(model, r).ok_or_else(|| "This database has no tables to answer from.".to_string())?;
    if !c.missing.is_empty() {
        return Err(format!("No single table has {} together with the rest of the question.", c.missing.join(" and ")));
    }
    let t = c.table;
    let (m_expr, m_alias, m_desc) = c.measure;
    let mut select: Vec<String> =
        c.dims.iter().map(|(e, a, _)| if e == &quote_ident(a) { e.clone() } else { format!("{e} AS {}", quote_ident(a)) }).collect();
    select.push(format!("{m_expr} AS {}", quote_ident(&m_alias)));
    let mut conditions: Vec<String> = c.filters.iter().map(|f| format!("{} = {}", quote_ident(&f.column), lit(&f.value))).collect();
    let mut parts = vec![m_desc];
    if let (Some(w), Some(d)) = (&r.window, &c.date) {
        let dq = quote_ident(d);
        conditions.push(format!("{dq} >= {} AND {dq} < {}", lit(&w.start.to_string()), lit(&w.end.to_string())));
        parts.push(format!("{} = {} (by {d})", w.said, w.meaning));
    }
    for f in &c.filters {
        parts.push(format!("{} = {}", f.column, f.value));
    }
    parts.extend(c.dims.iter().map(|(_, _, d)| d.clone()));
    let mut sql = format!("SELECT {}\nFROM {}", select.join(", "), quote_ident(&t.name));
    if !conditions.is_empty() {
        sql.push_str(&format!("\nWHERE {}", conditions.join("\n  AND ")));
    }
    if !c.dims.is_empty() {
        sql.push_str(&format!("\nGROUP BY {}", c.dims.iter().map(|(_, a, _)| quote_ident(a)).collect::<Vec<_>>().join(", ")));
    }
    let time_series = r.dims.iter().all(|d| matches!(d, Dim::Grain(_))) && !r.dims.is_empty();
    match r.rank {
        Some((order, n)) => {
            let dir = if order == Order::Desc { "DESC" } else { "ASC" };
            sql.push_str(&format!("\nORDER BY {} {dir}\nLIMIT {n}", quote_ident(&m_alias)));
            parts.push(format!("{} {n} by {m_alias}", if order == Order::Desc { "top" } else { "bottom" }));
        }
        None if time_series => {
            sql.push_str(&format!("\nORDER BY {}", c.dims.iter().map(|(_, a, _)| quote_ident(a)).collect::<Vec<_>>().join(", ")))
        }
        None if !c.dims.is_empty() => sql.push_str(&format!("\nORDER BY {} DESC", quote_ident(&m_alias))),
        None => {}
    }
    let measure_word = match r.measure.as_ref() {
        Some(Measure::Sum { word } | Measure::Avg { word }) if canonical(MEASURE_SYNONYMS, word).is_some() => {
            canonical(MEASURE_SYNONYMS, word).unwrap_or(word).to_string()
        }
        _ => m_alias.replace('_', " "),
    };
    let mut title = label(&measure_word);
    if !c.dims.is_empty() {
        title.push_str(&format!(" by {}", c.dims.iter().map(|(_, a, _)| singular(&a.replace('_', " "))).collect::<Vec<_>>().join(" and ")));
    }
    if let Some(w) = &r.window {
        title.push_str(&format!(", {}", w.said));
    }
    Ok(Built { sql, interpretation: parts.join("; "), title })
}
