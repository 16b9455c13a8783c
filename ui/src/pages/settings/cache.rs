//! The cache section's figures and "Clear cache".

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::CacheStatsView;

use super::SettingsScreen;
use crate::format;
use crate::ipc;

/// The cache's figures in one line: "12 answers cached · 40% exact hits · 10% similar-question
/// hits · saved $0.03 · lookups take 0.4 ms on average". Rates are of all lookups (0 without any).
fn cache_summary(stats: &CacheStatsView) -> String {
    let CacheStatsView {
        entries,
        lookups,
        exact_hits,
        semantic_hits,
        saved_usd,
        avg_lookup_ms,
    } = *stats;
    #[allow(
        clippy::cast_precision_loss,
        reason = "cache counts stay far below 2^52"
    )]
    let rate = |hits: i64| {
        if lookups > 0 {
            hits as f64 * 100.0 / lookups as f64
        } else {
            0.0
        }
    };
    #[allow(
        clippy::cast_precision_loss,
        reason = "cache counts stay far below 2^52"
    )]
    let cached = format!(
        "{} {}",
        format::number(entries as f64, 0),
        if entries == 1 { "answer" } else { "answers" }
    );
    let took = if avg_lookup_ms < 10.0 {
        format!("{avg_lookup_ms:.1}")
    } else {
        format::number(avg_lookup_ms, 0)
    };
    format!(
        "{cached} cached · {:.0}% exact hits · {:.0}% similar-question hits · saved {} · lookups take {took} ms on average",
        rate(exact_hits),
        rate(semantic_hits),
        format::usd(saved_usd),
    )
}

/// Loading and clearing the cache's figures.
impl SettingsScreen {
    /// The cache's figures, or (with `clear`) forgets every cached answer first and says so.
    pub(super) fn cache_stats(self, clear: bool) {
        if clear {
            if self.clearing.get_untracked() {
                return;
            }
            self.clearing.set(true);
            self.error.set(None);
            self.note.set(None);
        }
        let mut sent = 0;
        self.cache_sent.update_value(|count| {
            *count += 1;
            sent = *count;
        });
        spawn_local(async move {
            let reply = if clear {
                ipc::clear_cache().await
            } else {
                ipc::cache_stats().await
            };
            if clear {
                self.clearing.set(false);
            }
            let latest = self.cache_sent.get_value() == sent;
            match reply {
                Ok(stats) => {
                    if latest {
                        self.cache.set(Some(stats));
                    }
                    if clear {
                        self.note.set(Some("Cache cleared.".into()));
                    }
                }
                Err(e) => {
                    let message = if clear {
                        format!("The cache could not be cleared: {}", e.message)
                    } else {
                        e.message
                    };
                    self.error.set(Some(message));
                }
            }
        });
    }
}

/// The cache's figures and "Clear cache" (confirmed inline, like removing a data source).
#[component]
pub(super) fn CacheStats(screen: SettingsScreen) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let clearing = screen.clearing;
    let summary = move || {
        screen.cache.with(|stats| {
            stats
                .as_ref()
                .map_or_else(|| "Loading the cache's figures…".to_string(), cache_summary)
        })
    };
    let empty = move || {
        screen
            .cache
            .with(|stats| stats.as_ref().is_some_and(|s| s.entries == 0))
    };
    view! {
        <div class="cache-box">
            <div class="cache-head">
                <p id="cache-stats" class="cache-stats" role="status">
                    {summary}
                </p>
                <button
                    id="cache-clear"
                    class="quiet"
                    disabled=move || clearing.get() || confirming.get()
                    on:click=move |_| confirming.set(true)
                >
                    {move || if clearing.get() { "Clearing…" } else { "Clear cache" }}
                </button>
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label="Confirm clearing the cache">
                    <p>
                        {move || {
                            if empty() {
                                "The cache is already empty. Clear it anyway?"
                            } else {
                                "Forget every cached answer? Questions like them are sent to the AI again."
                            }
                        }}
                    </p>
                    <button
                        id="cache-confirm-clear"
                        class="danger"
                        disabled=move || clearing.get()
                        on:click=move |_| {
                            confirming.set(false);
                            screen.cache_stats(true);
                        }
                    >
                        "Clear cache"
                    </button>
                    <button class="secondary" on:click=move |_| confirming.set(false)>
                        "Keep them"
                    </button>
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_reads_in_one_line() {
        let stats = CacheStatsView {
            entries: 1,
            lookups: 4,
            exact_hits: 1,
            semantic_hits: 0,
            saved_usd: 0.00249,
            avg_lookup_ms: 0.42,
        };
        assert_eq!(
            cache_summary(&stats),
            "1 answer cached · 25% exact hits · 0% similar-question hits · saved $0.0025 · lookups take 0.4 ms on average"
        );
        let empty = CacheStatsView {
            entries: 0,
            lookups: 0,
            exact_hits: 0,
            semantic_hits: 0,
            saved_usd: 0.0,
            avg_lookup_ms: 0.0,
        };
        assert_eq!(
            cache_summary(&empty),
            "0 answers cached · 0% exact hits · 0% similar-question hits · saved $0.00 · lookups take 0.0 ms on average"
        );
        let busy = CacheStatsView {
            entries: 1234,
            lookups: 3,
            exact_hits: 1,
            semantic_hits: 1,
            saved_usd: 7.5,
            avg_lookup_ms: 12.6,
        };
        assert_eq!(
            cache_summary(&busy),
            "1,234 answers cached · 33% exact hits · 33% similar-question hits · saved $7.50 · lookups take 13 ms on average"
        );
    }
}
