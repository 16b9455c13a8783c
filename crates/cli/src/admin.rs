//! The shared app database's admin commands: `settings`, `glossary`, `budget`, `cache` and
//! `breaker`, with the same keys, checks and messages as the app.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use plainsight_core::history::AppDb;
use plainsight_core::{datadir, setup};

use crate::args::{BreakerAction, BudgetAction, CacheAction, GlossaryAction, SettingsAction};
use crate::env;

/// `plainsight settings …`: the Settings screen's settings, with the same keys, checks and
/// messages (core's `settings::FIELDS` and `setup::set_setting`).
pub(crate) fn settings(action: SettingsAction) -> Result<()> {
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    match action {
        SettingsAction::List { json } => {
            let current = db.settings(&env)?;
            if json {
                let all: Vec<_> = plainsight_core::settings::FIELDS
                    .iter()
                    .map(|f| serde_json::json!({"key": f.key, "label": f.label, "value": current.get(f.key), "default": f.default}))
                    .collect();
                println!("{}", serde_json::Value::Array(all));
            } else {
                for f in plainsight_core::settings::FIELDS {
                    println!("{:24} {:28} {}", f.key, current.get(f.key), f.label);
                }
            }
        }
        SettingsAction::Get { key } => {
            let field = plainsight_core::settings::FIELDS
                .iter()
                .find(|f| f.key == key);
            if field.is_none() {
                bail!("There is no setting called {key:?}.");
            }
            println!("{}", db.settings(&env)?.get(&key));
        }
        SettingsAction::Set { key, value } => {
            setup::set_setting(&db, &key, &value, &env)
                .map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            println!("{key} = {}", db.settings(&env)?.get(&key));
        }
        SettingsAction::Reset { key } => {
            setup::reset_setting(&db, &key, &env).map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            println!("{key} = {} (the default)", db.settings(&env)?.get(&key));
        }
    }
    Ok(())
}

/// `plainsight glossary …`: your own words for things, shared with the app.
pub(crate) fn glossary(action: GlossaryAction) -> Result<()> {
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    match action {
        GlossaryAction::Set { term, meaning } => {
            let meaning = meaning.join(" ");
            if term.trim().is_empty() || meaning.trim().is_empty() {
                bail!("give a term and what it means, e.g. `plainsight glossary set GMV revenue`");
            }
            db.set_glossary_entry(&term, &meaning)?;
        }
        GlossaryAction::List => {
            let entries: Vec<_> = db
                .glossary()?
                .into_iter()
                .map(|e| serde_json::json!({"term": e.term, "meaning": e.meaning}))
                .collect();
            println!("{}", serde_json::Value::Array(entries));
        }
        GlossaryAction::Remove { term } => {
            if !db.remove_glossary_entry(&term)? {
                bail!("there is no glossary term {term:?}");
            }
        }
    }
    Ok(())
}

/// `plainsight cache …`: the answer cache the app and every CLI process share.
pub(crate) fn cache(action: CacheAction) -> Result<()> {
    use plainsight_core::cache::Invalidate;
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let now = chrono::Utc::now().timestamp();
    let what = match action {
        CacheAction::Stats { json } => {
            let s = db.cache_stats(now)?;
            let rate = |n: i64| {
                if s.lookups > 0 {
                    n as f64 / s.lookups as f64
                } else {
                    0.0
                }
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({"entries": s.entries, "lookups": s.lookups, "exact_hits": s.exact_hits, "semantic_hits": s.semantic_hits,
                        "exact_hit_rate": rate(s.exact_hits), "semantic_hit_rate": rate(s.semantic_hits), "saved_usd": s.saved_usd(),
                        "avg_lookup_ms": s.avg_lookup_micros / 1000.0})
                );
            } else {
                println!(
                    "{} cached answers; {} lookups: {:.0} % exact hits, {:.0} % similar-question hits; saved ${:.4}; lookups take {:.2} ms on average.",
                    s.entries,
                    s.lookups,
                    100.0 * rate(s.exact_hits),
                    100.0 * rate(s.semantic_hits),
                    s.saved_usd(),
                    s.avg_lookup_micros / 1000.0
                );
            }
            return Ok(());
        }
        CacheAction::Clear => Invalidate::All,
        CacheAction::Invalidate {
            model: Some(m),
            source: None,
            older_than: None,
        } => Invalidate::Model(m),
        CacheAction::Invalidate {
            model: None,
            source: Some(s),
            older_than: None,
        } => Invalidate::Source(s),
        CacheAction::Invalidate {
            model: None,
            source: None,
            older_than: Some(secs),
        } => Invalidate::OlderThan(Duration::from_secs(secs)),
        CacheAction::Invalidate { .. } => bail!("give one of --model, --source or --older-than"),
    };
    let n = db.cache_invalidate(&what, now)?;
    println!("Forgot {n} cached answer{}.", if n == 1 { "" } else { "s" });
    Ok(())
}

/// `plainsight breaker show`: the breakers the app and every CLI process share.
pub(crate) fn breaker(action: BreakerAction) -> Result<()> {
    use plainsight_core::breaker::State;
    let BreakerAction::Show { json } = action;
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let config = plainsight_core::setup::options_from(&db.settings(&env)?).breaker;
    let now = plainsight_core::breaker::now();
    let statuses = db.breakers(config)?;
    if json {
        let breakers: Vec<_> = statuses
            .iter()
            .map(|s| {
                let (failures, cool_down) = match s.breaker.state {
                    State::Closed { failures } => (failures, config.cool_down),
                    State::Open { cool_down, .. } | State::HalfOpen { cool_down, .. } => (config.threshold, cool_down),
                };
                serde_json::json!({"provider": s.provider, "state": s.breaker.state_name(now), "failures": failures,
                    "paused_until": s.breaker.paused_until(now).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    "cool_down_ms": u64::try_from(cool_down.as_millis()).unwrap_or(u64::MAX), "last_error": s.last_error})
            })
            .collect();
        println!("{}", serde_json::json!({"breakers": breakers}));
    } else if statuses.is_empty() {
        println!("No AI provider has been called yet.");
    } else {
        for s in &statuses {
            match s.breaker.paused_until(now) {
                Some(until) => println!(
                    "{}: paused until {} ({})",
                    s.provider,
                    plainsight_core::breaker::local_time(until),
                    s.last_error.as_deref().unwrap_or("repeated failures")
                ),
                None if s.breaker.state_name(now) == "closed" => println!("{}: OK", s.provider),
                None => println!("{}: trying again", s.provider),
            }
        }
    }
    Ok(())
}

/// `plainsight budget …`: the same limits the app enforces, in the shared app database.
pub(crate) fn budget(action: BudgetAction) -> Result<()> {
    use plainsight_core::budget::{limit_nanos, Period, Scope};
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let now = chrono::Utc::now();
    match action {
        BudgetAction::Set {
            scope,
            limit,
            period,
            soft,
        } => {
            let period = Period::parse(&period)
                .with_context(|| format!("{period:?} is not a period; use day, month or total"))?;
            let limit_nanos = limit_nanos(limit).map_err(anyhow::Error::msg)?;
            db.set_budget(&Scope {
                name: scope.clone(),
                limit_nanos,
                period,
                soft,
            })
            .map_err(anyhow::Error::msg)?;
            println!("The {scope} budget is ${limit:.2} per {}.", period.as_str());
        }
        BudgetAction::Show { json } => {
            let states = db.budgets(now).map_err(anyhow::Error::msg)?;
            if json {
                let scopes: Vec<_> = states
                    .iter()
                    .map(|s| {
                        serde_json::json!({"scope": s.scope.name, "period": s.scope.period.as_str(), "limit_usd": s.scope.limit_usd(),
                            "spent_usd": s.spent_usd(), "reserved_usd": s.reserved_usd(), "state": s.state,
                            "resets_at": s.resets_at.map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%dT%H:%M:%S").to_string())})
                    })
                    .collect();
                println!("{}", serde_json::json!({"scopes": scopes}));
            } else {
                for s in &states {
                    println!(
                        "{}: ${:.4} of ${:.2} per {} ({})",
                        s.scope.name,
                        plainsight_core::money::dollars(s.spent_nanos + s.reserved_nanos),
                        s.scope.limit_usd(),
                        s.scope.period.as_str(),
                        s.state
                    );
                }
            }
        }
    }
    Ok(())
}
