//! What each word of the question was read as, one chip per word ("price → unit price"). A chip
//! opens the other columns the word could mean and "This is right". Picking another column
//! teaches the glossary (the word means that column's words) and asks the question again.
//! "This is right" only marks the chip and saves nothing: the planner already reads the word that
//! way, and an entry would rewrite the word in every later question, even where it means another
//! table's column ("region" → "name" would turn "sales by region" into "sales by name").

use leptos::prelude::*;
use plainsight_ipc::MappingView;

#[component]
pub fn Mappings(
    mappings: Vec<MappingView>,
    /// Saves `(term, meaning)` in the glossary and asks the question again.
    #[prop(into)]
    on_teach: Callback<(String, String)>,
) -> impl IntoView {
    let chips = mappings
        .into_iter()
        .map(|mapping| view! { <MappingChip mapping on_teach/> })
        .collect_view();
    view! {
        <div id="mappings" class="mappings" role="group" aria-label="How your words were read">
            <span class="mappings-label">"Read as:"</span>
            {chips}
        </div>
    }
}

#[component]
fn MappingChip(mapping: MappingView, on_teach: Callback<(String, String)>) -> impl IntoView {
    let MappingView {
        said,
        table,
        column,
        alternatives,
    } = mapping;
    let open = RwSignal::new(false);
    let confirmed = RwSignal::new(false);
    let label = format!("{said} → {}", MappingView::words(&column));
    let said = StoredValue::new(said);
    let hint = (!alternatives.is_empty())
        .then(|| format!("By \u{201c}{}\u{201d} you meant:", said.get_value()));
    let choices = alternatives
        .into_iter()
        .map(|alternative| {
            let words = MappingView::words(&alternative);
            let meaning = words.clone();
            view! {
                <li>
                    <button
                        class="mapping-alternative"
                        data-column=alternative
                        on:click=move |_| {
                            open.set(false);
                            on_teach.run((said.get_value(), meaning.clone()));
                        }
                    >
                        {words}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <span class="mapping">
            <button
                class="mapping-chip"
                class:confirmed=move || confirmed.get()
                data-said=said.get_value()
                title=format!("Read as {table}.{column}; click to correct it")
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {label}
                {move || confirmed.get().then_some(" ✓")}
            </button>
            <div class="mapping-menu" hidden=move || !open.get()>
                {hint.map(|hint| view! { <p class="mapping-hint">{hint}</p> })}
                <ul>{choices}</ul>
                <button
                    class="mapping-confirm"
                    on:click=move |_| {
                        confirmed.set(true);
                        open.set(false);
                    }
                >
                    "This is right"
                </button>
            </div>
        </span>
    }
}
