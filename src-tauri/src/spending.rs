//! The Spending page and the banners: budgets from the app database, each AI provider's circuit
//! breaker, spend per day drawn by core, and the answers that cost something. Blocking; the
//! command runs it on a worker thread.

use chrono::{DateTime, Local, Utc};
use plainsight_core::budget::Period;
use plainsight_core::budget::ScopeState;
use plainsight_core::chart::{self, ChartKind, ChartSpec};
use plainsight_core::llm::provider::ProviderKind;
use plainsight_core::money::dollars;
use plainsight_ipc::{
    Banner, BannerLevel, BudgetPeriod, BudgetState, BudgetView, CacheStatsView, ProviderState,
    ProviderStatusView, SpendingView, SpentAnswer,
};

use crate::error::AppError;
use crate::state::AppState;

/// Days in the spend chart.
const CHART_DAYS: u32 = 30;
/// Answers listed under "What it cost".
const RECENT: usize = 20;

fn label(scope: &str) -> String {
    if scope == "global" {
        return "All AI spending".into();
    }
    if let Some(p) = scope.strip_prefix("provider:") {
        return ProviderKind::parse(p)
            .map_or_else(|| p.to_string(), |k| k.display_name().to_string());
    }
    let source = scope.strip_prefix("source:").unwrap_or(scope);
    // A file's name, or a PostgreSQL address as it is (it never holds the password).
    std::path::Path::new(source)
        .file_name()
        .map_or_else(|| source.to_string(), |n| n.to_string_lossy().into_owned())
}

fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// Core's budget state (`ok`, `warning`, `blocked`), typed at the boundary.
fn budget_state(state: &str) -> BudgetState {
    BudgetState::parse(state).unwrap_or_else(|| {
        tracing::error!(
            state,
            "core reported a budget state the window does not know"
        );
        BudgetState::Ok
    })
}

fn budget_view(s: &ScopeState) -> BudgetView {
    BudgetView {
        scope: s.scope.name.clone(),
        label: label(&s.scope.name),
        period: match s.scope.period {
            Period::Day => BudgetPeriod::Day,
            Period::Month => BudgetPeriod::Month,
            Period::Total => BudgetPeriod::Total,
        },
        limit_usd: s.scope.limit_usd(),
        spent_usd: s.spent_usd(),
        reserved_usd: s.reserved_usd(),
        state: budget_state(s.state),
        resets_at: s.resets_at.map(when),
    }
}

/// The banners for the top of every page: a budget past its soft cap (yellow) or spent (red),
/// and a paused provider.
pub fn banners(scopes: &[BudgetView], providers: &[ProviderStatusView]) -> Vec<Banner> {
    let mut out = Vec::new();
    for s in scopes {
        let per = if s.period == BudgetPeriod::Total {
            String::new()
        } else {
            format!(" per {}", s.period)
        };
        let resets = s
            .resets_at
            .as_ref()
            .map(|t| format!(" It resets at {t}."))
            .unwrap_or_default();
        match s.state {
            BudgetState::Blocked => out.push(Banner {
                level: BannerLevel::Blocked,
                text: format!(
                    "{}: the ${:.2}{per} budget is spent, so questions are answered offline.{resets} You can raise it in Settings.",
                    s.label, s.limit_usd
                ),
            }),
            BudgetState::Warning => out.push(Banner {
                level: BannerLevel::Warning,
                text: format!(
                    "{}: ${:.2} of the ${:.2}{per} budget is used ({:.0} %).",
                    s.label,
                    s.spent_usd + s.reserved_usd,
                    s.limit_usd,
                    100.0 * (s.spent_usd + s.reserved_usd) / s.limit_usd.max(1e-9)
                ),
            }),
            BudgetState::Ok => {}
        }
    }
    for p in providers
        .iter()
        .filter(|p| p.state == ProviderState::Paused)
    {
        out.push(Banner {
            level: BannerLevel::Paused,
            text: format!(
                "{} is paused until {} after repeated failures; questions are answered offline meanwhile.",
                p.name,
                p.paused_until.as_deref().unwrap_or("later")
            ),
        });
    }
    out
}

/// Every provider's breaker as the Spending page shows it.
fn providers(state: &AppState) -> Result<Vec<ProviderStatusView>, AppError> {
    let now = plainsight_core::breaker::now();
    let config = state.setup().options.breaker;
    let statuses = state.history().breakers(config)?;
    Ok(statuses
        .into_iter()
        .map(|s| {
            let paused = s.breaker.paused_until(now);
            let state = match (paused, s.breaker.state_name(now)) {
                (Some(_), _) => ProviderState::Paused,
                (None, "closed") => ProviderState::Ok,
                _ => ProviderState::Retrying,
            };
            ProviderStatusView {
                name: ProviderKind::parse(&s.provider)
                    .map_or_else(|| s.provider.clone(), |k| k.display_name().to_string()),
                provider: s.provider,
                state,
                paused_until: paused.map(plainsight_core::breaker::local_time),
                last_error: s.last_error,
            }
        })
        .collect())
}

/// Budgets and provider status only (cheap: for the banners after every answer).
pub fn status(state: &AppState) -> Result<Vec<Banner>, AppError> {
    let now = Utc::now();
    let scopes: Vec<BudgetView> = state
        .history()
        .budgets(now)
        .map_err(|e| AppError::Setting(e.to_string()))?
        .iter()
        .map(budget_view)
        .collect();
    Ok(banners(&scopes, &providers(state)?))
}

/// The whole Spending page.
pub fn spending(state: &AppState) -> Result<SpendingView, AppError> {
    let now = Utc::now();
    let (scopes, daily, recent) = {
        let db = state.history();
        let scopes: Vec<BudgetView> = db
            .budgets(now)
            .map_err(|e| AppError::Setting(e.to_string()))?
            .iter()
            .map(budget_view)
            .collect();
        (
            scopes,
            db.daily_spend(now.with_timezone(&Local).date_naive(), CHART_DAYS)?,
            db.recent_costs(RECENT)?,
        )
    };
    let providers = providers(state)?;
    // Amounts are whole nano-dollars in the app database; dollars from here on, for display.
    let daily: Vec<(String, f64)> = daily
        .into_iter()
        .map(|(day, nanos)| (day, dollars(nanos)))
        .collect();
    let daily_svg = daily
        .iter()
        .any(|(_, usd)| *usd > 0.0)
        .then(|| daily_chart(&daily))
        .flatten();
    Ok(SpendingView {
        banners: banners(&scopes, &providers),
        scopes,
        providers,
        daily_svg,
        recent: recent
            .into_iter()
            .map(|(question, asked_at, nanos, by)| SpentAnswer {
                question,
                asked_at: plainsight_core::clock::shown(&asked_at),
                usd: dollars(nanos),
                by,
            })
            .collect(),
    })
}

/// The cache's figures (after forgetting every entry when `clear`).
pub fn cache_stats(state: &AppState, clear: bool) -> Result<CacheStatsView, AppError> {
    let now = chrono::Utc::now().timestamp();
    let db = state.history();
    if clear {
        db.cache_invalidate(&plainsight_core::cache::Invalidate::All, now)?;
    }
    let s = db.cache_stats(now)?;
    Ok(CacheStatsView {
        entries: s.entries,
        lookups: s.lookups,
        exact_hits: s.exact_hits,
        semantic_hits: s.semantic_hits,
        saved_usd: s.saved_usd(),
        avg_lookup_ms: s.avg_lookup_micros / 1000.0,
    })
}

/// Spend per day as a bar chart (Plotters, through core's chart renderer).
fn daily_chart(daily: &[(String, f64)]) -> Option<String> {
    let columns = vec!["day".to_string(), "spent (USD)".to_string()];
    let rows: Vec<Vec<serde_json::Value>> = daily
        .iter()
        .map(|(day, usd)| {
            vec![
                serde_json::Value::from(day.get(5..).unwrap_or(day)),
                serde_json::Value::from(*usd),
            ]
        })
        .collect();
    let spec = ChartSpec {
        kind: ChartKind::Bar,
        x: columns[0].clone(),
        y: columns[1].clone(),
        title: "AI spend per day".into(),
        series: None,
    };
    chart::render_svg(&spec, &columns, &rows, (880, 300))
        .inspect_err(|error| tracing::warn!(?error, "could not draw the spend chart"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(state: BudgetState, spent: f64) -> BudgetView {
        BudgetView {
            scope: "global".into(),
            label: label("global"),
            period: BudgetPeriod::Day,
            limit_usd: 5.0,
            spent_usd: spent,
            reserved_usd: 0.0,
            state,
            resets_at: Some("2026-11-27 00:00".into()),
        }
    }

    #[test]
    fn banners_say_what_is_used_spent_and_paused() {
        let paused = ProviderStatusView {
            provider: "openai".into(),
            name: "OpenAI-compatible".into(),
            state: ProviderState::Paused,
            paused_until: Some("14:32".into()),
            last_error: None,
        };
        let b = banners(
            &[
                scope(BudgetState::Ok, 1.0),
                scope(BudgetState::Warning, 4.25),
                scope(BudgetState::Blocked, 5.0),
            ],
            &[paused],
        );
        let texts: Vec<(&str, &str)> = b
            .iter()
            .map(|b| (b.level.as_str(), b.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("warning", "All AI spending: $4.25 of the $5.00 per day budget is used (85 %)."),
                (
                    "blocked",
                    "All AI spending: the $5.00 per day budget is spent, so questions are answered offline. It resets at 2026-11-27 00:00. You can raise it in Settings."
                ),
                ("paused", "OpenAI-compatible is paused until 14:32 after repeated failures; questions are answered offline meanwhile."),
            ]
        );
        assert_eq!(label("provider:perplexity"), "Perplexity");
        assert_eq!(label("source:/home/ann/shop/sales.sqlite"), "sales.sqlite");
    }
}
