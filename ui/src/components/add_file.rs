//! "Add a file": the file picker, a path typed or pasted, the import options, and while a file
//! is being added, its progress with Cancel.

use leptos::prelude::*;
use plainsight_ipc::ImportProgress;

use crate::format;

/// What the form holds. The page reads it for every way of adding a file (path, picker, drop).
#[derive(Debug, Clone, Copy)]
pub struct FileFields {
    pub path: RwSignal<String>,
    /// Table name for an import; empty: from the file name.
    pub table: RwSignal<String>,
    pub replace: RwSignal<bool>,
    /// Answer from a CSV or Parquet file where it is instead of importing a copy.
    pub in_place: RwSignal<bool>,
}

impl FileFields {
    pub fn new() -> Self {
        Self {
            path: RwSignal::new(String::new()),
            table: RwSignal::new(String::new()),
            replace: RwSignal::new(false),
            in_place: RwSignal::new(false),
        }
    }

    pub fn clear(self) {
        self.path.set(String::new());
        self.table.set(String::new());
        self.replace.set(false);
        self.in_place.set(false);
    }
}

#[component]
pub fn AddFile(
    fields: FileFields,
    /// The picker is open or a file is being added.
    #[prop(into)]
    busy: Signal<bool>,
    /// A file is being added: show its progress.
    #[prop(into)]
    importing: Signal<bool>,
    /// `None` until the first progress event: the file is still being read.
    #[prop(into)]
    progress: Signal<Option<ImportProgress>>,
    #[prop(into)] cancelling: Signal<bool>,
    #[prop(into)] on_choose: Callback<()>,
    #[prop(into)] on_add: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let FileFields {
        path,
        table,
        replace,
        in_place,
    } = fields;
    let total = move || progress.get().map(|p| p.total).filter(|t| *t > 0);
    let status = move || match progress.get() {
        None => "Reading the file…".to_string(),
        Some(p) if p.total > 0 => format!(
            "Importing: {} of {}",
            format::number(as_f64(p.done), 0),
            format::rows(p.total)
        ),
        Some(_) => "Importing…".to_string(),
    };
    view! {
        <section class="card add-file" aria-labelledby="add-file-title">
            <h2 id="add-file-title">"Add a file"</h2>
            <p class="muted">
                "CSV files and spreadsheets (XLSX, XLS, ODS) are copied into Plainsight; SQLite databases are opened where they are, read-only. You can also drop a file anywhere on this window."
            </p>
            <div class="file-row">
                <button id="choose-file" class="primary" disabled=move || busy.get() on:click=move |_| on_choose.run(())>
                    "Choose file…"
                </button>
                <span class="muted small">"or type its path:"</span>
            </div>
            <div class="file-row">
                <input
                    id="file-path"
                    type="text"
                    class="text-input grow"
                    placeholder="/home/you/Documents/sales.csv"
                    autocomplete="off"
                    spellcheck="false"
                    aria-label="Path of the file to add"
                    prop:value=move || path.get()
                    on:input=move |ev| path.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !busy.get_untracked() {
                            on_add.run(());
                        }
                    }
                />
                <button id="add-file" class="secondary" disabled=move || busy.get() on:click=move |_| on_add.run(())>
                    "Add"
                </button>
            </div>
            <div class="file-options">
                <label for="table-name">"Table name"</label>
                <input
                    id="table-name"
                    type="text"
                    class="text-input"
                    placeholder="from the file name"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || table.get()
                    on:input=move |ev| table.set(event_target_value(&ev))
                />
                <label class="check">
                    <input
                        id="replace"
                        type="checkbox"
                        prop:checked=move || replace.get()
                        on:change=move |ev| replace.set(event_target_checked(&ev))
                    />
                    "Replace existing table"
                </label>
                <span class="muted small">"(for CSV files and spreadsheets)"</span>
                <label class="check">
                    <input
                        id="in-place"
                        type="checkbox"
                        prop:checked=move || in_place.get()
                        on:change=move |ev| in_place.set(event_target_checked(&ev))
                    />
                    "Open in place"
                </label>
                <span class="muted small">
                    "(large CSV and Parquet files: answered where they are, nothing copied; CSV files over 256 MB and Parquet files always are. Importing keeps a copy that stays even if the file moves.)"
                </span>
            </div>
            <Show when=move || importing.get()>
                <div class="import-progress" role="status">
                    <progress
                        id="import-progress"
                        max=move || total().map(|t| t.to_string())
                        value=move || total().and(progress.get()).map(|p| p.done.to_string())
                    ></progress>
                    <span class="progress-text">{status}</span>
                    <button
                        id="cancel-import"
                        class="secondary"
                        disabled=move || cancelling.get()
                        on:click=move |_| on_cancel.run(())
                    >
                        {move || if cancelling.get() { "Cancelling…" } else { "Cancel" }}
                    </button>
                </div>
            </Show>
        </section>
    }
}

#[allow(clippy::cast_precision_loss, reason = "row counts stay far below 2^52")]
fn as_f64(count: u64) -> f64 {
    count as f64
}
