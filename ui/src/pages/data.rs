//! The Data screen: the data sources and which one questions go to, a preview of any table, adding
//! files (picker, typed path, or dropped on the window) with import progress and a summary, and
//! adding a database server (PostgreSQL, MariaDB or MySQL).

use leptos::prelude::*;
use leptos::task::spawn_local;
use plainsight_ipc::{
    AddFileRequest, ErrorKind, ImportProgress, ImportSummaryView, ImportedColumnView, IpcError,
    SourceKind, SourcesView, TablePreview, IMPORT_PROGRESS_EVENT,
};
use serde_json::Value;

use crate::components::add_file::{AddFile, FileFields};
use crate::components::import_summary::ImportSummary;
use crate::components::messages::Messages;
use crate::components::postgres_form::{PgAction, PgFields, PostgresConnect};
use crate::components::source_card::{kept_when_removed, SourceCard};
use crate::components::table::ResultTable;
use crate::format;
use crate::ipc::{self, DroppedFiles};
use crate::session::{Screen, Session};

/// The last import, kept so "Re-import with these types" can send the same file again.
#[derive(Debug, Clone, PartialEq)]
struct Imported {
    path: String,
    summary: ImportSummaryView,
}

/// A table preview and the source it came from.
#[derive(Debug, Clone, PartialEq)]
struct Preview {
    source: String,
    table: TablePreview,
}

/// The screen's state; every operation is a method, run from a button, the picker or a drop.
#[derive(Debug, Clone, Copy)]
struct DataScreen {
    session: Session,
    error: RwSignal<Option<String>>,
    note: RwSignal<Option<String>>,
    /// "Use for questions" or "Remove" is running.
    changing_source: RwSignal<bool>,
    /// The table asked for, as `(source id, table)`, and what came back.
    previewing: RwSignal<Option<(i64, String)>>,
    preview: RwSignal<Option<Preview>>,
    file: FileFields,
    picking: RwSignal<bool>,
    importing: RwSignal<bool>,
    progress: RwSignal<Option<ImportProgress>>,
    cancelling: RwSignal<bool>,
    imported: RwSignal<Option<Imported>>,
    pg: PgFields,
    pg_running: RwSignal<Option<PgAction>>,
}

impl DataScreen {
    fn new(session: Session) -> Self {
        Self {
            session,
            error: RwSignal::new(None),
            note: RwSignal::new(None),
            changing_source: RwSignal::new(false),
            previewing: RwSignal::new(None),
            preview: RwSignal::new(None),
            file: FileFields::new(),
            picking: RwSignal::new(false),
            importing: RwSignal::new(false),
            progress: RwSignal::new(None),
            cancelling: RwSignal::new(false),
            imported: RwSignal::new(None),
            pg: PgFields::new(),
            pg_running: RwSignal::new(None),
        }
    }

    /// Clears the last message: a new operation starts.
    fn start(self) {
        self.error.set(None);
        self.note.set(None);
    }

    fn failed(self, error: &IpcError) {
        self.note.set(None);
        self.error.set(Some(error.message.clone()));
    }

    fn done(self, note: String) {
        self.error.set(None);
        self.note.set(Some(note));
    }

    fn source_name(self, id: i64) -> String {
        self.session
            .sources
            .with_untracked(|v| {
                v.as_ref()
                    .and_then(|v| v.sources.iter().find(|s| s.id == id))
                    .map(|s| s.name.clone())
            })
            .unwrap_or_else(|| "the source".into())
    }

    fn active_name(sources: &SourcesView) -> String {
        sources
            .sources
            .iter()
            .find(|s| s.active)
            .map_or_else(|| "the sample data".into(), |s| s.name.clone())
    }

    /// The sources at start-up (the Ask screen shows which one is active).
    fn load(self) {
        spawn_local(async move {
            match ipc::sources().await {
                Ok(sources) => self.session.sources.set(Some(sources)),
                Err(e) => self.failed(&e),
            }
        });
    }

    /// Import progress and files dragged onto the window, for as long as the window is open.
    fn listen(self) {
        let session = self.session;
        spawn_local(async move {
            let registered = async {
                ipc::listen(IMPORT_PROGRESS_EVENT, move |p: ImportProgress| {
                    if self.importing.get_untracked() {
                        self.progress.set(Some(p));
                    }
                })
                .await?;
                ipc::listen(ipc::DRAG_ENTER_EVENT, move |_: Value| {
                    session.dragging.set(true);
                })
                .await?;
                ipc::listen(ipc::DRAG_LEAVE_EVENT, move |_: Value| {
                    session.dragging.set(false);
                })
                .await?;
                ipc::listen(ipc::DRAG_DROP_EVENT, move |dropped: DroppedFiles| {
                    session.dragging.set(false);
                    if !dropped.paths.is_empty() {
                        session.screen.set(Screen::Data);
                        self.add_paths(dropped.paths);
                    }
                })
                .await
            };
            if let Err(e) = registered.await {
                self.failed(&e);
            }
        });
    }

    fn use_source(self, id: i64) {
        if self.changing_source.get_untracked() {
            return;
        }
        self.start();
        self.changing_source.set(true);
        spawn_local(async move {
            match ipc::set_active_source(id).await {
                Ok(sources) => {
                    self.done(format!(
                        "Questions now go to {}.",
                        Self::active_name(&sources)
                    ));
                    self.session.sources.set(Some(sources));
                }
                Err(e) => self.failed(&e),
            }
            self.changing_source.set(false);
        });
    }

    fn remove_source(self, id: i64) {
        if self.changing_source.get_untracked() {
            return;
        }
        self.start();
        let name = self.source_name(id);
        // A file's source unless the list says otherwise: its file is not deleted.
        let kind = self
            .session
            .sources
            .with_untracked(|v| {
                v.as_ref()
                    .and_then(|v| v.sources.iter().find(|s| s.id == id))
                    .map(|s| s.kind)
            })
            .unwrap_or(SourceKind::Sqlite);
        self.changing_source.set(true);
        spawn_local(async move {
            match ipc::remove_source(id).await {
                Ok(sources) => {
                    self.done(format!(
                        "Removed “{name}” from Plainsight. {} Questions now go to {}.",
                        kept_when_removed(kind).replace(" is ", " was "),
                        Self::active_name(&sources)
                    ));
                    self.session.sources.set(Some(sources));
                    if self
                        .previewing
                        .get_untracked()
                        .is_some_and(|(shown, _)| shown == id)
                    {
                        self.previewing.set(None);
                        self.preview.set(None);
                    }
                }
                Err(e) => self.failed(&e),
            }
            self.changing_source.set(false);
        });
    }

    fn show_preview(self, id: i64, table: String) {
        // The last note (e.g. what was imported) still holds; only an old error is cleared.
        self.error.set(None);
        let source = self.source_name(id);
        self.previewing.set(Some((id, table.clone())));
        spawn_local(async move {
            let result = ipc::preview_table(id, &table).await;
            // Another table may have been clicked meanwhile: only the latest one is shown.
            if self.previewing.get_untracked() != Some((id, table)) {
                return;
            }
            match result {
                Ok(preview) => {
                    self.preview.set(Some(Preview {
                        source,
                        table: preview,
                    }));
                    // Below a long list of sources the preview would open out of sight.
                    request_animation_frame(|| {
                        if let Some(card) = document().get_element_by_id("preview") {
                            let options = web_sys::ScrollIntoViewOptions::new();
                            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                            card.scroll_into_view_with_scroll_into_view_options(&options);
                        }
                    });
                }
                Err(e) => {
                    self.previewing.set(None);
                    self.failed(&e);
                }
            }
        });
    }

    fn close_preview(self) {
        self.previewing.set(None);
        self.preview.set(None);
    }

    fn adding(self) -> bool {
        self.picking.get_untracked() || self.importing.get_untracked()
    }

    fn choose_file(self) {
        if self.adding() {
            return;
        }
        self.start();
        self.picking.set(true);
        spawn_local(async move {
            let picked = ipc::pick_data_file().await;
            self.picking.set(false);
            match picked {
                Ok(Some(path)) => self.add_paths(vec![path]),
                Ok(None) => {}
                Err(e) => self.failed(&e),
            }
        });
    }

    fn add_typed_path(self) {
        let path = self.file.path.get_untracked().trim().to_string();
        if path.is_empty() {
            self.error.set(Some(
                "Type or paste the path of a file first, or choose one.".into(),
            ));
            return;
        }
        self.add_paths(vec![path]);
    }

    /// Adds each file in turn, stopping at the first that fails. The table name only applies
    /// when there is one file.
    fn add_paths(self, paths: Vec<String>) {
        if self.adding() {
            self.error.set(Some(
                "Another file is still being added. Wait for it to finish or cancel it.".into(),
            ));
            return;
        }
        let table = self.file.table.get_untracked().trim().to_string();
        let table = (paths.len() == 1 && !table.is_empty()).then_some(table);
        let replace = self.file.replace.get_untracked();
        spawn_local(async move {
            for path in paths {
                let request = AddFileRequest {
                    path,
                    table: table.clone(),
                    sheet: None,
                    replace,
                    types: Vec::new(),
                    in_place: self.file.in_place.get_untracked(),
                };
                if !self.add(request).await {
                    break;
                }
            }
        });
    }

    /// Re-imports the last imported file into the same table with the chosen column types.
    fn reimport(self, types: Vec<ImportedColumnView>) {
        if self.adding() {
            return;
        }
        let Some(Imported { path, summary }) = self.imported.get_untracked() else {
            return;
        };
        let request = AddFileRequest {
            path,
            table: Some(summary.table),
            sheet: None,
            replace: true,
            types,
            in_place: false,
        };
        spawn_local(async move {
            self.add(request).await;
        });
    }

    /// One `add_file`, with progress shown meanwhile; whether it succeeded.
    async fn add(self, request: AddFileRequest) -> bool {
        self.start();
        self.progress.set(None);
        self.cancelling.set(false);
        self.importing.set(true);
        let result = ipc::add_file(&request).await;
        self.importing.set(false);
        self.cancelling.set(false);
        match result {
            Ok(outcome) => {
                let active = Self::active_name(&outcome.sources);
                self.session.sources.set(Some(outcome.sources));
                self.file.clear();
                match outcome.import {
                    Some(summary) => {
                        let rows = format::rows(summary.rows_imported);
                        self.done(if request.types.is_empty() {
                            format!(
                                "Imported {rows} into “{}”. Questions now go to {active}.",
                                summary.table
                            )
                        } else {
                            format!(
                                "Re-imported {rows} into “{}” with the column types you chose.",
                                summary.table
                            )
                        });
                        self.imported.set(Some(Imported {
                            path: request.path,
                            summary,
                        }));
                    }
                    None => self.done(format!("Added {active}. Questions now go to it.")),
                }
                // An open preview may show a table that was just replaced.
                if let Some((id, table)) = self.previewing.get_untracked() {
                    self.show_preview(id, table);
                }
                true
            }
            Err(e) if e.kind == ErrorKind::ImportCancelled => {
                self.done(e.message);
                false
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    fn cancel_import(self) {
        self.cancelling.set(true);
        spawn_local(async move {
            if let Err(e) = ipc::cancel_import().await {
                self.cancelling.set(false);
                self.failed(&e);
            }
        });
    }

    fn postgres(self, action: PgAction) {
        if self.pg_running.get_untracked().is_some() {
            return;
        }
        self.start();
        let form = match self.pg.form() {
            Ok(form) => form,
            Err(problem) => {
                self.error.set(Some(problem));
                return;
            }
        };
        self.pg_running.set(Some(action));
        spawn_local(async move {
            match action {
                PgAction::Test => match ipc::test_postgres(&form).await {
                    Ok(sentence) => self.done(sentence),
                    Err(e) => self.failed(&e),
                },
                PgAction::Add => match ipc::add_postgres(&form).await {
                    Ok(sources) => {
                        self.done(format!(
                            "Added {}. Questions now go to it.",
                            Self::active_name(&sources)
                        ));
                        self.session.sources.set(Some(sources));
                        self.pg.password.set(String::new());
                    }
                    Err(e) => self.failed(&e),
                },
            }
            self.pg_running.set(None);
        });
    }
}

#[component]
pub fn Data() -> impl IntoView {
    let session = expect_context::<Session>();
    let screen = DataScreen::new(session);
    screen.load();
    screen.listen();
    let DataScreen {
        error,
        note,
        changing_source,
        previewing,
        preview,
        picking,
        importing,
        progress,
        cancelling,
        imported,
        ..
    } = screen;

    let sources = move || match session.sources.get() {
        None => view! { <p class="muted">"Looking for your data…"</p> }.into_any(),
        Some(view) => {
            let cards = view
                .sources
                .into_iter()
                .map(|source| {
                    view! {
                        <SourceCard
                            source
                            busy=changing_source
                            previewing
                            on_use=move |id| screen.use_source(id)
                            on_remove=move |id| screen.remove_source(id)
                            on_preview=move |(id, table)| screen.show_preview(id, table)
                        />
                    }
                })
                .collect_view();
            view! { <ul id="sources" class="sources">{cards}</ul> }.into_any()
        }
    };
    let preview_card = move || {
        preview.get().map(|Preview { source, table: TablePreview { table, columns, rows, truncated } }| {
            view! {
                <section id="preview" class="card preview" aria-labelledby="preview-title">
                    <div class="card-head">
                        <h2 id="preview-title">{table} <span class="muted small">{format!(" in {source}")}</span></h2>
                        <button class="quiet" on:click=move |_| screen.close_preview()>"Close preview"</button>
                    </div>
                    <ResultTable id="preview-table" columns rows truncated/>
                </section>
            }
        })
    };

    view! {
        <header class="page-head">
            <h1>"Your data"</h1>
            <p class="muted">
                "Questions go to the source marked “Questions go here”. Plainsight only ever reads your files and databases; it never changes them."
            </p>
        </header>
        <Messages prefix="data" error note/>
        {move || session.notice().map(|n| view! { <p class="message warning">{n}</p> })}
        <section class="sources-section" aria-label="Data sources">{sources}</section>
        {preview_card}
        <AddFile
            fields=screen.file
            busy=Signal::derive(move || picking.get() || importing.get())
            importing
            progress
            cancelling
            on_choose=move |()| screen.choose_file()
            on_add=move |()| screen.add_typed_path()
            on_cancel=move |()| screen.cancel_import()
        />
        {move || {
            imported
                .get()
                .map(|Imported { summary, .. }| {
                    view! { <ImportSummary summary busy=importing on_reimport=move |types| screen.reimport(types)/> }
                })
        }}
        <PostgresConnect
            fields=screen.pg
            running=screen.pg_running
            on_test=move |()| screen.postgres(PgAction::Test)
            on_add=move |()| screen.postgres(PgAction::Add)
        />
    }
}
