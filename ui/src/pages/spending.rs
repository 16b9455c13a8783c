//! The Spending page: each budget and how much of it is used, each AI provider's state, spend per
//! day (drawn by core) and the answers that cost something. Loaded each time it is opened; the
//! banners across the top are refreshed from the same reply.

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{
    BudgetPeriod, BudgetState, BudgetView, ProviderState, ProviderStatusView, SpendingView,
    SpentAnswer,
};

use crate::components::messages::Messages;
use crate::format;
use crate::ipc;
use crate::session::{Screen, Session};

#[derive(Debug, Clone, Copy)]
struct SpendingScreen {
    session: Session,
    /// As the engine last sent it; `None` until the first reply.
    view: RwSignal<Option<SpendingView>>,
    loading: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    note: RwSignal<Option<String>>,
}

impl SpendingScreen {
    fn load(self) {
        if self.loading.get_untracked() {
            return;
        }
        self.loading.set(true);
        spawn_local(async move {
            match ipc::spending().await {
                Ok(view) => {
                    self.error.set(None);
                    self.session.banners.set(view.banners.clone());
                    self.view.set(Some(view));
                }
                Err(e) => self.error.set(Some(e.message)),
            }
            self.loading.set(false);
        });
    }
}

#[component]
pub fn Spending() -> impl IntoView {
    let session = expect_context::<Session>();
    let screen = SpendingScreen {
        session,
        view: RwSignal::new(None),
        loading: RwSignal::new(false),
        error: RwSignal::new(None),
        note: RwSignal::new(None),
    };
    // Fresh each time the page is opened: answers spend meanwhile.
    Effect::new(move |was_showing: Option<bool>| {
        let showing = session.screen.get() == Screen::Spending;
        if showing && was_showing != Some(true) {
            screen.load();
        }
        showing
    });
    let SpendingScreen {
        view,
        loading,
        error,
        note,
        ..
    } = screen;

    let body = move || {
        match view.get() {
        None => view! { <p class="muted">{move || if loading.get() { "Adding up what the AI cost…" } else { "" }}</p> }.into_any(),
        Some(SpendingView { scopes, providers, daily_svg, recent, .. }) => view! {
            <section id="spending-budgets" class="card" aria-labelledby="spending-budgets-title">
                <h2 id="spending-budgets-title">"Budgets"</h2>
                <p class="muted">"Plainsight never sends a question to the AI when it could take a budget past its limit."</p>
                <ul class="budgets">{scopes.into_iter().map(|scope| view! { <BudgetRow scope/> }).collect_view()}</ul>
            </section>
            <section id="spending-status" class="card" aria-labelledby="spending-status-title">
                <h2 id="spending-status-title">"AI providers"</h2>
                <Providers providers/>
            </section>
            <section class="card" aria-labelledby="spending-chart-title">
                <h2 id="spending-chart-title">"Spend per day"</h2>
                {match daily_svg {
                    // The SVG comes from our own Rust code (Plotters), never from a question's text.
                    Some(svg) => view! { <div id="spending-chart" role="img" aria-label="AI spend per day over the last 30 days" inner_html=svg></div> }.into_any(),
                    None => view! { <p id="spending-chart-empty" class="muted">"Nothing spent yet"</p> }.into_any(),
                }}
            </section>
            <section class="card" aria-labelledby="spending-recent-title">
                <h2 id="spending-recent-title">"What answers cost"</h2>
                <Recent recent/>
            </section>
        }
        .into_any(),
    }
    };

    view! {
        <div id="spending-page">
            <header class="page-head page-head-row">
                <div>
                    <h1>"Spending"</h1>
                    <p class="muted">"What the AI has cost, the limits you set, and whether each provider is answering."</p>
                </div>
                <button id="spending-refresh" class="secondary" disabled=move || loading.get() on:click=move |_| screen.load()>
                    "Refresh"
                </button>
            </header>
            <Messages prefix="spending" error note/>
            {body}
        </div>
    }
}

/// "per day", "per month", "in total".
fn per(period: BudgetPeriod) -> String {
    if period == BudgetPeriod::Total {
        "in total".into()
    } else {
        format!("per {period}")
    }
}

/// One budget: its name, a bar of what is spent (and reserved for questions being answered), the
/// figures and when it starts again.
#[component]
fn BudgetRow(scope: BudgetView) -> impl IntoView {
    let BudgetView {
        scope,
        label,
        period,
        limit_usd,
        spent_usd,
        reserved_usd,
        state,
        resets_at,
    } = scope;
    let share = |usd: f64| {
        if limit_usd > 0.0 {
            (100.0 * usd / limit_usd).clamp(0.0, 100.0)
        } else {
            100.0
        }
    };
    let spent_pct = share(spent_usd);
    let reserved_pct = share(reserved_usd).min(100.0 - spent_pct);
    let said = match state {
        BudgetState::Blocked => "Spent: questions are answered offline",
        BudgetState::Warning => "Nearly spent",
        BudgetState::Ok => "OK",
    };
    let figures = format!(
        "{} of {} {}",
        format::usd(spent_usd),
        format::usd(limit_usd),
        per(period)
    );
    let bar_label = format!("{label}: {figures}");
    let reserved = (reserved_usd > 0.0).then(|| {
        view! { <span class="budget-reserved-text">{format!("{} reserved for questions being answered", format::usd(reserved_usd))}</span> }
    });
    let resets = resets_at.map(|at| view! { <span>{format!("Resets at {at}")}</span> });
    view! {
        <li class=format!("budget budget-{state}") data-scope=scope>
            <div class="budget-head">
                <strong>{label}</strong>
                <span class="budget-state">{said}</span>
            </div>
            <div
                class="budget-bar"
                role="progressbar"
                aria-label=bar_label
                aria-valuemin="0"
                aria-valuemax=limit_usd.to_string()
                aria-valuenow=spent_usd.to_string()
            >
                <div class="budget-spent" style:width=format!("{spent_pct:.1}%")></div>
                <div class="budget-reserved" style:width=format!("{reserved_pct:.1}%")></div>
            </div>
            <p class="budget-figures">
                <span class="budget-used">{figures}</span>
                {reserved}
                {resets}
            </p>
        </li>
    }
}

/// Each provider's state from its circuit breaker: "Perplexity: OK", or paused until when, and
/// why.
#[component]
fn Providers(providers: Vec<ProviderStatusView>) -> impl IntoView {
    if providers.is_empty() {
        return view! { <p id="spending-providers" class="muted">"No AI provider has been asked yet."</p> }.into_any();
    }
    let rows = providers
        .into_iter()
        .map(|p| {
            let why = p.last_error.map(|e| format!(" — {e}")).unwrap_or_default();
            let status = match p.state {
                ProviderState::Paused => format!(
                    "paused until {}{why}",
                    p.paused_until.as_deref().unwrap_or("later")
                ),
                ProviderState::Retrying => format!("being tried again after a pause{why}"),
                ProviderState::Ok => "OK".into(),
            };
            view! {
                <li class=format!("provider provider-{}", p.state) data-provider=p.provider>
                    <span class="provider-dot" aria-hidden="true"></span>
                    <span>
                        <strong>{p.name}</strong>
                        {format!(": {status}")}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! { <ul id="spending-providers" class="providers">{rows}</ul> }.into_any()
}

/// The answers that cost something, newest first.
#[component]
fn Recent(recent: Vec<SpentAnswer>) -> impl IntoView {
    if recent.is_empty() {
        return view! { <p id="spending-recent" class="muted">"No answer has cost anything yet."</p> }.into_any();
    }
    let rows = recent
        .into_iter()
        .map(|a| {
            view! {
                <tr>
                    <td>{a.question}</td>
                    <td class="nowrap">{a.asked_at}</td>
                    <td>{a.by}</td>
                    <td class="num">{format::usd(a.usd)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table id="spending-recent" class="result-table">
                <thead>
                    <tr>
                        <th scope="col">"Question"</th>
                        <th scope="col">"When"</th>
                        <th scope="col">"By"</th>
                        <th scope="col" class="num">"Cost"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
