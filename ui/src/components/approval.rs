//! A question that waits for the person's OK to spend on the AI (its estimate is above their
//! approval limit, so nothing was sent): the estimate, "Spend up to …", which asks again with that
//! much allowed, and "Not now".

use leptos::prelude::*;
use plainsight_ipc::EstimateView;

use crate::format;

#[component]
pub fn Approval(
    question: String,
    message: String,
    estimate: Option<EstimateView>,
    /// Asks `question` again, allowing up to the estimate's "at most".
    #[prop(into)]
    on_approve: Callback<(String, f64)>,
) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    let amounts = estimate.map(|e| format::estimate(e.about_usd, e.at_most_usd));
    let said = amounts
        .as_ref()
        .map(|(about, at_most)| format!("About {about} (at most {at_most})"));
    // Without an estimate there is no amount to allow, so only "Not now" is offered.
    let allow = estimate
        .zip(amounts)
        .map(|(e, (_, at_most))| (e.at_most_usd, format!("Spend up to {at_most}")));
    let question = StoredValue::new(question);
    let dialog = move || {
        let approve = allow.clone().map(|(usd, label)| {
            view! {
                <button id="approve-spend" class="primary" on:click=move |_| on_approve.run((question.get_value(), usd))>
                    {label}
                </button>
            }
        });
        view! {
            <div id="approval-dialog" class="approval" role="dialog" aria-labelledby="approval-title" aria-describedby="approval-message">
                <h3 id="approval-title">"Spend on the AI for this question?"</h3>
                <p id="approval-message">{message.clone()}</p>
                {said.clone().map(|said| view! { <p class="approval-estimate">{said}</p> })}
                <div class="approval-actions">
                    {approve}
                    <button id="approve-cancel" class="secondary" on:click=move |_| dismissed.set(true)>
                        "Not now"
                    </button>
                </div>
            </div>
        }
    };
    view! {
        <Show
            when=move || !dismissed.get()
            fallback=|| {
                view! {
                    <p id="approval-dismissed" class="message info">
                        "Nothing was sent to the AI. Ask again when you want it answered, or raise the limit in Settings → Budget."
                    </p>
                }
            }
        >
            {dialog()}
        </Show>
    }
}
