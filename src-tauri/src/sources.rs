//! The Data screen's operations: which sources exist, which one questions go to, adding files
//! (SQLite opened as is, CSV and spreadsheets imported into the workspace) and PostgreSQL.
//!
//! Every function here blocks (files, SQLite, PostgreSQL); commands run them on a blocking
//! thread. Switching the active source opens it first and only then swaps the pipeline, so a
//! source that cannot be opened never leaves the app without one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plainsight_core::import::{import_file, ColumnType, ImportOptions, ImportSummary};
use plainsight_core::schema::Schema;
use plainsight_core::source::{mysql, postgres, DataSource};
use plainsight_core::sources::{self, Source, SourceKind};
use plainsight_core::{datadir, Pipeline};
use plainsight_ipc::{
    AddFileOutcome, AddFileRequest, ImportProgress, ImportSummaryView, ImportedColumnView,
    PostgresForm, SourceView, SourcesView, TableInfo, TablePreview,
};

use crate::error::AppError;
use crate::state::{AppState, Setup};

/// How many rows "Preview" shows.
const PREVIEW_ROWS: usize = 50;

/// Spreadsheet and text formats that are imported into the workspace.
const IMPORTED: [&str; 8] = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "xlsb", "ods"];

/// Extensions the file picker offers.
pub const PICKABLE: [&str; 11] = [
    "csv", "tsv", "txt", "xlsx", "xlsm", "xls", "xlsb", "ods", "sqlite", "sqlite3", "db",
];

fn now() -> String {
    plainsight_core::clock::stamp(chrono::Utc::now())
}

/// At start-up: core's policy ([`plainsight_core::setup::open_at_startup`]): the active source,
/// or the sample data with a notice saying why.
pub fn open_at_startup(
    db: &mut plainsight_core::history::AppDb,
    sample: &Path,
    setup: &Setup,
) -> Result<(Pipeline, Option<String>), AppError> {
    plainsight_core::setup::open_at_startup(db, sample, setup, &now()).map_err(|e| match e {
        plainsight_core::setup::SetupError::Setting(message) => AppError::Setting(message),
        plainsight_core::setup::SetupError::Store(e) => AppError::History(e),
        plainsight_core::setup::SetupError::Open(e) => AppError::Ask(e),
    })
}

fn open_pipeline(
    source: &Source,
    password: Option<&str>,
    setup: &Setup,
) -> Result<Pipeline, AppError> {
    let opened = sources::open_source(source, password).map_err(AppError::Source)?;
    Ok(setup.open(opened)?)
}

/// Every source with its tables. The active source's schema is the pipeline's; others are
/// opened read-only to list theirs, and a problem is reported per source, not as a failure.
pub fn list(state: &AppState) -> Result<SourcesView, AppError> {
    let all = state.history().sources()?;
    let pipeline = state.pipeline();
    let views = all
        .into_iter()
        .map(|source| {
            let schema = if source.active {
                Ok(pipeline.schema().clone())
            } else {
                sources::open_source(&source, state.password(&source.location).as_deref())
                    .and_then(|opened| {
                        plainsight_core::schema::cached(opened.as_ref(), &state.data_dir)
                    })
                    .map_err(|e| AppError::Source(e).user_message())
            };
            view(source, schema)
        })
        .collect();
    Ok(SourcesView {
        sources: views,
        notice: state.notice(),
    })
}

fn view(source: Source, schema: Result<Schema, String>) -> SourceView {
    let (tables, problem) = match schema {
        Ok(schema) => (
            schema
                .tables
                .into_iter()
                .map(|t| TableInfo {
                    name: t.name,
                    rows: t.row_count,
                    columns: t.columns.into_iter().map(|c| c.name).collect(),
                })
                .collect(),
            None,
        ),
        Err(problem) => (Vec::new(), Some(problem)),
    };
    SourceView {
        id: source.id,
        name: source.name,
        kind: match source.kind {
            SourceKind::Sample => plainsight_ipc::SourceKind::Sample,
            SourceKind::Workspace => plainsight_ipc::SourceKind::Workspace,
            SourceKind::Sqlite => plainsight_ipc::SourceKind::Sqlite,
            SourceKind::Postgres => plainsight_ipc::SourceKind::Postgres,
            SourceKind::Mysql => plainsight_ipc::SourceKind::Mysql,
            SourceKind::InPlace => plainsight_ipc::SourceKind::InPlace,
        },
        location: source.location,
        active: source.active,
        tables,
        problem,
    }
}

fn find(state: &AppState, id: i64) -> Result<Source, AppError> {
    state
        .history()
        .sources()?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NoSuchSource)
}

/// Opens source `id` and makes it the one questions go to.
pub fn activate(state: &AppState, id: i64) -> Result<SourcesView, AppError> {
    let source = find(state, id)?;
    let pipeline = open_pipeline(
        &source,
        state.password(&source.location).as_deref(),
        &state.setup(),
    )?;
    state.history().set_active_source(id)?;
    state.replace_pipeline(pipeline);
    state.set_notice(None);
    list(state)
}

/// Forgets source `id` (the file stays where it is). The sample data cannot be removed: it is
/// what the app falls back to.
pub fn remove(state: &AppState, id: i64) -> Result<SourcesView, AppError> {
    let source = find(state, id)?;
    if source.kind == SourceKind::Sample {
        return Err(AppError::SampleIsBuiltIn);
    }
    state.history().remove_source(id)?;
    state.forget_password(&source.location);
    // Answers cached for it would never be used again: forget them (best effort).
    let forgotten = state.history().cache_invalidate(
        &plainsight_core::cache::Invalidate::Source(source.location.clone()),
        chrono::Utc::now().timestamp(),
    );
    if let Err(error) = forgotten {
        tracing::warn!(%error, "the removed source's cached answers could not be forgotten");
    }
    if source.active {
        let next = state
            .history()
            .active_source()?
            .ok_or(AppError::NoSuchSource)?;
        // If the next one cannot be opened either, the sample data (always there) takes over.
        return activate(state, next.id).or_else(|error| {
            tracing::warn!(%error, "the next source could not be opened; using the sample data");
            let sample = state
                .history()
                .sources()?
                .into_iter()
                .find(|s| s.kind == SourceKind::Sample)
                .ok_or(error)?;
            activate(state, sample.id)
        });
    }
    list(state)
}

/// The first rows of `table` in source `id`, read through the source's read-only walls.
pub fn preview(state: &AppState, id: i64, table: &str) -> Result<TablePreview, AppError> {
    let source = find(state, id)?;
    let opened = sources::open_source(&source, state.password(&source.location).as_deref())
        .map_err(AppError::Source)?;
    let result =
        sources::preview(opened.as_ref(), table, PREVIEW_ROWS).map_err(AppError::Source)?;
    Ok(TablePreview {
        table: table.to_string(),
        columns: result.columns,
        rows: result.rows,
        truncated: result.truncated,
    })
}

/// Adds a file: SQLite databases are opened read-only where they are; CSV and spreadsheets
/// are imported into the workspace. Either way the result becomes the active source.
pub fn add_file(
    state: &AppState,
    request: &AddFileRequest,
    cancel: &AtomicBool,
    on_progress: &mut dyn FnMut(ImportProgress),
) -> Result<AddFileOutcome, AppError> {
    let path = PathBuf::from(request.path.trim());
    if !path.is_file() {
        return Err(AppError::NotAFileToOpen(path));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if sources::is_sqlite_file(&path)
        || (!IMPORTED.contains(&ext.as_str())
            && matches!(ext.as_str(), "sqlite" | "sqlite3" | "db"))
    {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("database")
            .to_string();
        let source = Source {
            id: 0,
            name,
            kind: SourceKind::Sqlite,
            location: path.display().to_string(),
            added_at: now(),
            active: false,
        };
        return Ok(AddFileOutcome {
            sources: register(state, &source)?,
            import: None,
        });
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let columnar = matches!(ext.as_str(), "parquet" | "pq");
    let large_csv = matches!(ext.as_str(), "csv" | "tsv") && size >= plainsight_ipc::IN_PLACE_BYTES;
    if (request.in_place || columnar || large_csv)
        && plainsight_core::source::duckdb::is_in_place_file(&path.to_string_lossy())
    {
        if plainsight_core::source::duckdb::available() {
            return open_in_place(state, &path, size);
        }
        if columnar || request.in_place {
            return Err(AppError::Source(plainsight_core::executor::ExecError::Connect(
                "opening files in place needs Plainsight's DuckDB worker, which this build does not include; import a CSV copy instead".into(),
            )));
        }
    }
    let workspace = datadir::workspace_db_path(&state.data_dir);
    let options = ImportOptions {
        table: request.table.clone().filter(|t| !t.trim().is_empty()),
        sheet: request.sheet.clone().filter(|s| !s.trim().is_empty()),
        replace: request.replace,
        types: request
            .types
            .iter()
            .map(|c| (c.name.clone(), column_type(c.ty)))
            .collect(),
    };
    let summary = import_file(&workspace, &path, &options, &mut |p| {
        on_progress(ImportProgress {
            done: p.done,
            total: p.total,
        });
        !cancel.load(Ordering::Relaxed)
    })?;
    let added = state.history().add_source(
        "Imported files",
        SourceKind::Workspace,
        &workspace.display().to_string(),
        &now(),
    )?;
    Ok(AddFileOutcome {
        sources: activate(state, added.id)?,
        import: Some(summary_view(summary)),
    })
}

fn column_type(ty: plainsight_ipc::ColumnType) -> ColumnType {
    use plainsight_ipc::ColumnType as Ipc;
    match ty {
        Ipc::Integer => ColumnType::Integer,
        Ipc::Real => ColumnType::Real,
        Ipc::Date => ColumnType::Date,
        Ipc::DateTime => ColumnType::DateTime,
        Ipc::Text => ColumnType::Text,
    }
}

fn column_view(ty: ColumnType) -> plainsight_ipc::ColumnType {
    use plainsight_ipc::ColumnType as Ipc;
    match ty {
        ColumnType::Integer => Ipc::Integer,
        ColumnType::Real => Ipc::Real,
        ColumnType::Date => Ipc::Date,
        ColumnType::DateTime => Ipc::DateTime,
        ColumnType::Text => Ipc::Text,
    }
}

fn summary_view(s: ImportSummary) -> ImportSummaryView {
    ImportSummaryView {
        table: s.table,
        rows_imported: s.rows_imported,
        rows_skipped: s.rows_skipped,
        skipped: s.skipped,
        columns: s
            .columns
            .into_iter()
            .map(|c| ImportedColumnView {
                name: c.name,
                ty: column_view(c.ty),
            })
            .collect(),
        warnings: s.warnings,
    }
}

fn pg_url(form: &PostgresForm) -> Result<String, AppError> {
    if form.host.trim().is_empty() || form.database.trim().is_empty() || form.user.trim().is_empty()
    {
        return Err(AppError::IncompleteConnection);
    }
    let url = if form.mysql {
        mysql::url
    } else {
        postgres::url
    };
    Ok(url(&form.host, form.port, &form.database, &form.user))
}

/// Opens the server the form names, with the form's password.
fn connect_server(url: &str, form: &PostgresForm) -> Result<Box<dyn DataSource>, AppError> {
    let password = form.password.as_deref();
    Ok(if form.mysql {
        Box::new(mysql::MySource::connect_with(url, password).map_err(AppError::Source)?)
    } else {
        Box::new(postgres::PgSource::connect_with(url, password).map_err(AppError::Source)?)
    })
}

/// Connects once and reports what is there, without adding anything.
pub fn test_postgres(form: &PostgresForm) -> Result<String, AppError> {
    let url = pg_url(form)?;
    let opened = connect_server(&url, form)?;
    let schema = opened.schema().map_err(AppError::Source)?;
    let rows: i64 = schema.tables.iter().map(|t| t.row_count).sum();
    Ok(format!(
        "Connected. {} tables, about {rows} rows.",
        schema.tables.len()
    ))
}

/// Adds a PostgreSQL database and makes it active. The address is stored without the
/// password; the password goes to the OS keychain (or, without one, memory for this session).
pub fn add_postgres(state: &AppState, form: &PostgresForm) -> Result<SourcesView, AppError> {
    let url = pg_url(form)?;
    let name = format!("{} on {}", form.database.trim(), form.host.trim());
    let kind = if form.mysql {
        SourceKind::Mysql
    } else {
        SourceKind::Postgres
    };
    let source = Source {
        id: 0,
        name,
        kind,
        location: url,
        added_at: now(),
        active: false,
    };
    let pipeline = open_pipeline(&source, form.password.as_deref(), &state.setup())?;
    let added =
        state
            .history()
            .add_source(&source.name, kind, &source.location, &source.added_at)?;
    let notice = form
        .password
        .clone()
        .filter(|p| !p.is_empty())
        .and_then(|password| state.remember_password(&source.location, password));
    state.history().set_active_source(added.id)?;
    state.replace_pipeline(pipeline);
    state.set_notice(notice);
    list(state)
}

/// Opens a file source before registering it (a damaged or locked file is refused with its
/// reason), then registers it and makes it active.
fn register(state: &AppState, source: &Source) -> Result<SourcesView, AppError> {
    open_pipeline(source, None, &state.setup())?;
    let added = state.history().add_source(
        &source.name,
        source.kind,
        &source.location,
        &source.added_at,
    )?;
    activate(state, added.id)
}

/// Registers a CSV or Parquet file to be answered where it is (nothing is copied), opening it
/// first so a file DuckDB cannot read is refused with its reason, and says what that means.
fn open_in_place(state: &AppState, path: &Path, size: u64) -> Result<AddFileOutcome, AppError> {
    let name = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("file")
        .to_string();
    let source = Source {
        id: 0,
        name: name.clone(),
        kind: SourceKind::InPlace,
        location: path.display().to_string(),
        added_at: now(),
        active: false,
    };
    let mut sources = register(state, &source)?;
    let notice = format!(
        "{name} ({} MB) is answered where it is, not copied into Plainsight: it takes no extra disk space and changes to the file show at once, but each question reads the file again, and moving or deleting the file disconnects it. Import a copy instead to keep the data even if the file goes.",
        size >> 20
    );
    state.set_notice(Some(notice.clone()));
    sources.notice = Some(notice);
    Ok(AddFileOutcome {
        sources,
        import: None,
    })
}

/// A cancel flag for an import, shared with the `cancel_import` command.
pub fn new_cancel_flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

#[cfg(test)]
mod tests {
    use plainsight_core::history::AppDb;
    use plainsight_core::{ensure_sample_db, sample};

    use super::*;
    use crate::state::Today;

    struct Fixture {
        dir: tempfile::TempDir,
        state: AppState,
    }

    fn today() -> chrono::NaiveDate {
        "2026-11-26".parse().unwrap()
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let sample = ensure_sample_db(dir.path(), today()).unwrap();
        let mut db = AppDb::open(&datadir::app_db_path(dir.path())).unwrap();
        let (pipeline, notice) = open_at_startup(&mut db, &sample, &Setup::default()).unwrap();
        assert_eq!(notice, None);
        let state = AppState::new(
            pipeline,
            db,
            Today::Fixed(today()),
            dir.path().to_path_buf(),
            notice,
            Setup::default(),
        );
        Fixture { dir, state }
    }

    fn request(path: &Path) -> AddFileRequest {
        AddFileRequest {
            path: path.display().to_string(),
            table: None,
            sheet: None,
            replace: false,
            types: Vec::new(),
            in_place: false,
        }
    }

    #[test]
    fn a_file_opened_in_place_is_answered_where_it_is_and_not_copied() {
        if !plainsight_core::source::duckdb::available() {
            // scripts/test builds the worker and sets this, so there the test always runs.
            assert!(
                std::env::var_os("PLAINSIGHT_TEST_DUCKDB").is_none(),
                "plainsight-duckdb-worker was not built beside the tests"
            );
            return;
        }
        let f = fixture();
        let csv = f.dir.path().join("big orders.csv");
        std::fs::write(&csv, "region,revenue\nNorth,10.5\nSouth,4\nNorth,1.5\n").unwrap();
        let mut req = request(&csv);
        req.in_place = true;
        let out = add(&f, &req).unwrap();
        assert!(out.import.is_none(), "nothing imported");
        let active = out.sources.sources.iter().find(|s| s.active).unwrap();
        assert_eq!(active.kind, plainsight_ipc::SourceKind::InPlace);
        assert!(
            out.sources
                .notice
                .as_deref()
                .is_some_and(|n| n.contains("answered where it is")),
            "{:?}",
            out.sources.notice
        );
        let schema = f.state.pipeline().schema().clone();
        assert_eq!(schema.tables[0].name, "big_orders");
    }

    fn add(f: &Fixture, req: &AddFileRequest) -> Result<AddFileOutcome, AppError> {
        add_file(&f.state, req, &AtomicBool::new(false), &mut |_| {})
    }

    fn active(view: &SourcesView) -> &SourceView {
        view.sources
            .iter()
            .find(|s| s.active)
            .expect("one source is active")
    }

    #[test]
    fn a_csv_is_imported_made_active_and_answers_questions() {
        let f = fixture();
        let csv = f.dir.path().join("Shop Orders.csv");
        std::fs::write(&csv, "region,amount\nNorth,10\nSouth,20\nNorth,5\nbroken\n").unwrap();
        let mut progress = Vec::new();
        let outcome = add_file(
            &f.state,
            &request(&csv),
            &AtomicBool::new(false),
            &mut |p| progress.push(p),
        )
        .unwrap();
        let summary = outcome.import.expect("a CSV is imported");
        assert_eq!(
            (
                summary.table.as_str(),
                summary.rows_imported,
                summary.rows_skipped
            ),
            ("shop_orders", 3, 1)
        );
        assert_eq!(
            progress.last().map(|p| (p.done, p.total)),
            Some((3, 3)),
            "progress ends at the total"
        );
        let now = active(&outcome.sources);
        assert_eq!(
            (now.kind, now.tables.len()),
            (plainsight_ipc::SourceKind::Workspace, 1)
        );
        assert_eq!(
            (now.tables[0].name.as_str(), now.tables[0].rows),
            ("shop_orders", 3)
        );
        let answer = f
            .state
            .pipeline()
            .ask("total amount by region", today(), None)
            .unwrap();
        assert_eq!(
            answer.rows,
            [
                vec![serde_json::json!("South"), serde_json::json!(20)],
                vec![serde_json::json!("North"), serde_json::json!(15)]
            ]
        );

        // Re-importing without "replace" is refused and leaves the table as it was.
        let err = add(&f, &request(&csv)).unwrap_err();
        assert_eq!(err.kind().as_str(), "table_exists");
        let preview = preview(&f.state, now.id, "shop_orders").unwrap();
        assert_eq!(preview.rows.len(), 3);
    }

    #[test]
    fn a_cancelled_import_changes_nothing() {
        let f = fixture();
        let csv = f.dir.path().join("big.csv");
        let body: String = std::iter::once("n\n".to_string())
            .chain((0..20_000).map(|i| format!("{i}\n")))
            .collect();
        std::fs::write(&csv, body).unwrap();
        let err = add_file(
            &f.state,
            &request(&csv),
            &AtomicBool::new(true),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err.kind().as_str(), "import_cancelled");
        assert_eq!(
            active(&list(&f.state).unwrap()).kind,
            plainsight_ipc::SourceKind::Sample,
            "the sample data stays active"
        );
    }

    #[test]
    fn sqlite_files_are_opened_as_they_are_and_removing_them_keeps_the_file() {
        let f = fixture();
        let shop = f.dir.path().join("shop.data");
        sample::write_sample_db(&shop, today(), 300).unwrap();
        let before = std::fs::read(&shop).unwrap();
        let outcome = add(&f, &request(&shop)).unwrap();
        assert!(
            outcome.import.is_none(),
            "a SQLite file is recognised by its header, whatever its extension"
        );
        let id = active(&outcome.sources).id;
        assert_eq!(
            active(&outcome.sources).kind,
            plainsight_ipc::SourceKind::Sqlite
        );
        f.state
            .pipeline()
            .ask("sales by region last month", today(), None)
            .unwrap();
        // An AI answer cached for this file is forgotten with it; others stay.
        for source in [
            active(&outcome.sources).location.clone(),
            "other.sqlite".to_string(),
        ] {
            let key = plainsight_core::cache::CacheKey::new(
                &format!("question for {source}"),
                Vec::new(),
                "fp",
                "perplexity/sonar",
                "v",
                &source,
            );
            let entry = plainsight_core::cache::Entry {
                key: &key,
                embedding: &[1.0],
                embedder: "e",
                reply: "{}",
                cost_nanos: 10_000_000,
            };
            f.state
                .history()
                .cache_store(
                    &entry,
                    &plainsight_core::cache::CacheConfig::default(),
                    chrono::Utc::now().timestamp(),
                )
                .unwrap();
        }
        let view = remove(&f.state, id).unwrap();
        assert_eq!(
            f.state
                .history()
                .cache_stats(chrono::Utc::now().timestamp())
                .unwrap()
                .entries,
            1,
            "only the other source's answer stays"
        );
        assert_eq!(
            active(&view).kind,
            plainsight_ipc::SourceKind::Sample,
            "the sample data takes over"
        );
        assert_eq!(
            std::fs::read(&shop).unwrap(),
            before,
            "the file is untouched and still there"
        );

        let sample_id = active(&view).id;
        assert_eq!(
            remove(&f.state, sample_id).unwrap_err().kind().as_str(),
            "sample_is_built_in"
        );
        assert_eq!(
            add(&f, &request(&f.dir.path().join("nowhere.csv")))
                .unwrap_err()
                .kind()
                .as_str(),
            "file_missing"
        );
        let fake = f.dir.path().join("fake.db");
        std::fs::write(&fake, "not a database").unwrap();
        let err = add(&f, &request(&fake)).unwrap_err();
        assert!(
            err.user_message()
                .contains("fake.db is not a SQLite database"),
            "{}",
            err.user_message()
        );
    }

    #[test]
    fn a_source_that_went_away_falls_back_to_the_sample_with_a_notice() {
        let f = fixture();
        let shop = f.dir.path().join("shop.sqlite");
        sample::write_sample_db(&shop, today(), 300).unwrap();
        add(&f, &request(&shop)).unwrap();
        std::fs::remove_file(&shop).unwrap();
        let mut db = AppDb::open(&datadir::app_db_path(f.dir.path())).unwrap();
        let (pipeline, notice) = open_at_startup(
            &mut db,
            &datadir::sample_db_path(f.dir.path()),
            &Setup::default(),
        )
        .unwrap();
        assert!(pipeline.database().ends_with("sample.sqlite"));
        let notice = notice.expect("the person is told why");
        assert!(
            notice.contains("\"shop\" could not be opened") && notice.contains("sample data"),
            "{notice}"
        );
        assert_eq!(
            db.active_source().unwrap().map(|s| s.kind),
            Some(SourceKind::Sample)
        );
        let missing = db
            .sources()
            .unwrap()
            .into_iter()
            .find(|s| s.kind == SourceKind::Sqlite)
            .unwrap();
        assert_eq!(
            missing.location,
            shop.display().to_string(),
            "the moved source is kept in the list"
        );
    }

    #[test]
    fn an_incomplete_postgres_form_is_refused_before_connecting() {
        let form = PostgresForm {
            mysql: false,
            host: " ".into(),
            port: 5432,
            database: "shop".into(),
            user: "reader".into(),
            password: None,
        };
        assert_eq!(
            test_postgres(&form).unwrap_err().kind().as_str(),
            "incomplete_connection"
        );
    }
}
