//! The profile cache against real SQLite files in temporary folders: the person's folder and a
//! separate data directory, as in the app.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::*;
use crate::source::SqliteSource;

/// A person's database in its own folder, and Plainsight's data directory elsewhere.
struct Fixture {
    user: tempfile::TempDir,
    data: tempfile::TempDir,
    db: PathBuf,
}

impl Fixture {
    /// `orders(id, region, amount)` with North and South, in `journal` mode.
    fn new(journal: &str) -> Self {
        let user = tempfile::tempdir().unwrap();
        let db = user.path().join("shop.sqlite");
        let conn = Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", journal).unwrap();
        conn.execute_batch(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT, amount REAL);
             INSERT INTO orders (region, amount) VALUES ('North', 10), ('South', 20);",
        )
        .unwrap();
        Self {
            user,
            data: tempfile::tempdir().unwrap(),
            db,
        }
    }

    fn open_path(&self, path: &Path) -> (Schema, Profiled) {
        profile(&SqliteSource::new(path), self.data.path()).unwrap()
    }

    fn open(&self) -> (Schema, Profiled) {
        self.open_path(&self.db)
    }

    /// The schema read from the file itself, bypassing the cache.
    fn fresh(&self) -> Schema {
        crate::source::DataSource::schema(&SqliteSource::new(&self.db)).unwrap()
    }

    fn profiles(&self) -> Vec<PathBuf> {
        let dir = crate::datadir::profiles_dir(self.data.path());
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    /// The one profile file this fixture's database has.
    fn profile_file(&self) -> PathBuf {
        let files = self.profiles();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }
}

fn regions(schema: &Schema) -> (Vec<String>, i64) {
    let t = schema.table("orders").unwrap();
    (t.column("region").unwrap().values.clone(), t.row_count)
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn schema_profile_is_reused_until_the_file_changes() {
    let insert = "INSERT INTO orders (region, amount) VALUES ('West', 30)";
    for (case, journal, hold_writer) in [
        (
            "rollback journal, a write by another connection",
            "DELETE",
            false,
        ),
        (
            "WAL, a write by another connection that closes (checkpointed)",
            "WAL",
            false,
        ),
        (
            "WAL, a write never checkpointed (the writer stays open)",
            "WAL",
            true,
        ),
    ] {
        let f = Fixture::new(journal);
        let writer = hold_writer.then(|| {
            let w = Connection::open(&f.db).unwrap();
            w.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
            w
        });
        let (first, how) = f.open();
        assert_eq!(how, Profiled::Built, "{case}: nothing stored yet");
        assert_eq!(
            regions(&first),
            (vec!["North".into(), "South".into()], 2),
            "{case}"
        );
        let (second, how) = f.open();
        assert_eq!(
            how,
            Profiled::Hit,
            "{case}: the second open uses the profile"
        );
        assert_eq!(second, first, "{case}");

        match &writer {
            Some(w) => {
                let before = std::fs::read(&f.db).unwrap();
                w.execute(insert, []).unwrap();
                assert_eq!(
                    std::fs::read(&f.db).unwrap(),
                    before,
                    "{case}: the main file is untouched, the row is only in the WAL"
                );
            }
            None => {
                Connection::open(&f.db)
                    .unwrap()
                    .execute(insert, [])
                    .unwrap();
            }
        }
        let (changed, how) = f.open();
        assert_eq!(how, Profiled::Built, "{case}: the change is seen");
        assert_eq!(
            regions(&changed),
            (vec!["North".into(), "South".into(), "West".into()], 3),
            "{case}"
        );
        assert_eq!(changed, f.fresh(), "{case}");
        assert_eq!(f.open().1, Profiled::Hit, "{case}: and stored again");
        f.profile_file();
        drop(writer);
    }
}

#[test]
fn schema_profile_of_the_workspace_is_rebuilt_by_every_import() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let workspace = crate::datadir::workspace_db_path(data.path());
    let open = || profile(&SqliteSource::new(&workspace), data.path()).unwrap();
    let import = |name: &str, csv: &str, replace: bool| {
        let file = files.path().join(name);
        std::fs::write(&file, csv).unwrap();
        let options = crate::import::ImportOptions {
            replace,
            ..Default::default()
        };
        crate::import::import_file(&workspace, &file, &options, &mut |_| true).unwrap();
    };
    import("orders.csv", "region,amount\nNorth,10\nSouth,20\n", false);
    assert_eq!(open().1, Profiled::Built);
    assert_eq!(open().1, Profiled::Hit);
    for (case, name, csv, replace, table, rows) in [
        (
            "a new table",
            "customers.csv",
            "name,city\nAna,Porto\nBo,Oslo\nCy,Rome\n",
            false,
            "customers",
            3,
        ),
        (
            "a table replaced",
            "orders.csv",
            "region,amount\nEast,5\n",
            true,
            "orders",
            1,
        ),
    ] {
        import(name, csv, replace);
        let (schema, how) = open();
        assert_eq!(how, Profiled::Built, "{case}");
        assert_eq!(
            schema.table(table).map(|t| t.row_count),
            Some(rows),
            "{case}"
        );
        assert_eq!(open().1, Profiled::Hit, "{case}");
    }
}

#[test]
fn schema_profile_that_is_damaged_or_outdated_is_read_again() {
    /// The damaged bytes, from the good profile's path.
    type Damage<'a> = &'a dyn Fn(&Path) -> Vec<u8>;
    let cases: [(&str, Damage); 7] = [
        ("not JSON", &|_| b"not json {".to_vec()),
        ("empty", &|_| Vec::new()),
        ("cut short", &|p| {
            let b = std::fs::read(p).unwrap();
            b[..b.len() / 2].to_vec()
        }),
        ("JSON of another shape", &|_| {
            br#"{"version": 1, "tables": []}"#.to_vec()
        }),
        ("an older profile version", &|p| {
            let mut v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            v["version"] = (PROFILE_VERSION - 1).into();
            // What an old build read differently: a value no longer in the data.
            v["schema"]["tables"][0]["columns"][1]["values"][0] = "Old".into();
            serde_json::to_vec(&v).unwrap()
        }),
        ("another file's profile", &|p| {
            let mut v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            v["identity"] = "/elsewhere/shop.sqlite".into();
            serde_json::to_vec(&v).unwrap()
        }),
        ("invalid UTF-8", &|_| vec![0xff, 0xfe, 0x00, 0x7b]),
    ];
    for (case, damage) in cases {
        let f = Fixture::new("DELETE");
        let (built, _) = f.open();
        let file = f.profile_file();
        std::fs::write(&file, damage(&file)).unwrap();
        let (again, how) = f.open();
        assert_eq!(how, Profiled::Built, "{case}");
        assert_eq!(again, built, "{case}");
        assert_eq!(
            f.open(),
            (built, Profiled::Hit),
            "{case}: the rebuilt profile is used"
        );
    }
}

#[test]
fn schema_profile_that_cannot_be_read_or_written_is_no_error() {
    let f = Fixture::new("DELETE");
    let fresh = f.fresh();
    // A folder where the profile should be: it can be neither read nor replaced.
    f.open();
    let file = f.profile_file();
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    for _ in 0..2 {
        assert_eq!(f.open(), (fresh.clone(), Profiled::Built));
    }
    let tmp: Vec<_> = names(file.parent().unwrap())
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        tmp.is_empty(),
        "a failed write leaves no temporary file: {tmp:?}"
    );
    // A data directory that is a file: nothing can be stored, the schema is still read.
    let blocked = f.data.path().join("not-a-folder");
    std::fs::write(&blocked, "x").unwrap();
    let (schema, how) = profile(&SqliteSource::new(&f.db), &blocked).unwrap();
    assert_eq!((schema, how), (fresh, Profiled::Built));
}

#[test]
fn schema_profile_is_written_only_in_the_data_directory() {
    let f = Fixture::new("DELETE");
    let before = names(f.user.path());
    for _ in 0..3 {
        f.open();
    }
    assert_eq!(
        names(f.user.path()),
        before,
        "nothing new beside the person's file"
    );
    assert_eq!(before, ["shop.sqlite"]);
    assert_eq!(names(f.data.path()), ["profiles"]);
    let file = f.profile_file();
    assert!(file.extension().is_some_and(|e| e == "json"));
    assert!(
        !file.to_string_lossy().contains("shop"),
        "named by a hash, not the file's name"
    );
}

#[test]
fn schema_profile_is_shared_by_every_path_to_the_same_file() {
    let f = Fixture::new("DELETE");
    assert_eq!(f.open().1, Profiled::Built);
    let dotted = f.user.path().join(".").join("shop.sqlite");
    let link = f.user.path().join("link.sqlite");
    std::os::unix::fs::symlink(&f.db, &link).unwrap();
    for path in [dotted, link] {
        assert_eq!(f.open_path(&path).1, Profiled::Hit, "{}", path.display());
    }
    f.profile_file();
}

#[test]
fn schema_profiles_are_bounded_and_the_least_recently_used_go_first() {
    let data = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let dbs: Vec<PathBuf> = (0..=MAX_PROFILES)
        .map(|i| {
            let db = user.path().join(format!("db{i}.sqlite"));
            Connection::open(&db)
                .unwrap()
                .execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a');")
                .unwrap();
            db
        })
        .collect();
    let open = |db: &Path| profile(&SqliteSource::new(db), data.path()).unwrap().1;
    let dir = crate::datadir::profiles_dir(data.path());
    // The first MAX_PROFILES, stored an hour apart in the past (db0 the oldest).
    let past = SystemTime::now() - Duration::from_secs(24 * 3600);
    for (i, db) in dbs[..MAX_PROFILES].iter().enumerate() {
        assert_eq!(open(db), Profiled::Built);
        let file = dir.join(file_name(
            &std::fs::canonicalize(db).unwrap().display().to_string(),
        ));
        std::fs::File::options()
            .write(true)
            .open(file)
            .unwrap()
            .set_modified(past + Duration::from_secs(60 * i as u64))
            .unwrap();
    }
    assert_eq!(
        open(&dbs[0]),
        Profiled::Hit,
        "db0 is used again, so db1 is now the least recently used"
    );
    assert_eq!(
        open(&dbs[MAX_PROFILES]),
        Profiled::Built,
        "one more than the bound"
    );
    assert_eq!(names(&dir).len(), MAX_PROFILES);
    assert_eq!(open(&dbs[0]), Profiled::Hit, "kept: used recently");
    assert_eq!(open(&dbs[2]), Profiled::Hit, "kept");
    assert_eq!(
        open(&dbs[1]),
        Profiled::Built,
        "dropped: the least recently used"
    );
}

#[test]
fn schema_profile_keeps_everything_the_planner_reads() {
    let data = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let db = user.path().join("sample.sqlite");
    crate::sample::write_sample_db(&db, "2026-11-26".parse().unwrap(), 500).unwrap();
    let source = SqliteSource::new(&db);
    let fresh = crate::source::DataSource::schema(&source).unwrap();
    assert_eq!(
        profile(&source, data.path()).unwrap(),
        (fresh.clone(), Profiled::Built)
    );
    let (stored, how) = profile(&source, data.path()).unwrap();
    assert_eq!(how, Profiled::Hit);
    assert_eq!(
        stored, fresh,
        "kinds, values, keys, row counts, latest dates and fixed periods survive the round trip"
    );
    assert!(stored.tables.iter().any(|t| t.latest.is_some()));
    assert_eq!(
        crate::source::schema_fingerprint(&stored),
        crate::source::schema_fingerprint(&fresh)
    );
}

#[test]
fn schema_of_a_missing_or_foreign_file_is_the_same_error_and_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let text = user.path().join("orders.db");
    std::fs::write(&text, "id,total\n1,2\n").unwrap();
    for (case, path, kind) in [
        ("missing", user.path().join("gone.sqlite"), "Missing"),
        ("a CSV named .db", text, "Open"),
    ] {
        let source = SqliteSource::new(&path);
        assert_eq!(
            crate::source::DataSource::profile_key(&source),
            None,
            "{case}"
        );
        let err = profile(&source, data.path()).unwrap_err();
        assert!(format!("{err:?}").starts_with(kind), "{case}: {err:?}");
    }
    assert_eq!(names(data.path()), Vec::<String>::new());
}
