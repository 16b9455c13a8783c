//! The sample database served from a real MariaDB server (started by `scripts/test` on
//! 127.0.0.1, admin URL in `PLAINSIGHT_TEST_MYSQL`), in the column types a web shop's database
//! has (DATE, DECIMAL, VARCHAR), queried through a SELECT-only account: the dev questions answer
//! as they do on SQLite (scored by `../shared/eval/run-eval`), and no adversarial statement
//! changes a row, with the guard and with only the server-side walls.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::Value;

use crate::cli::{run, sample_db};

const TODAY: &str = "2026-11-26";
const RO_PASSWORD: &str = "ro-Pass-7731";

fn admin_url() -> String {
    std::env::var("PLAINSIGHT_TEST_MYSQL").expect(
        "PLAINSIGHT_TEST_MYSQL is not set: run these through scripts/test, which starts MariaDB",
    )
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("URL has a database");
    format!("{base}/{db}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn admin(db: &str) -> mysql_async::Conn {
    let opts = mysql_async::Opts::from_url(&with_db(&admin_url(), db)).expect("admin URL");
    mysql_async::Conn::new(opts)
        .await
        .expect("connect as admin")
}

/// The read-only URL of the `shop` database, loaded once from the generated sample.
pub(crate) fn shop_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        runtime().block_on(load_shop());
        let host = admin_url()
            .rsplit_once('@')
            .expect("URL has a host")
            .1
            .rsplit_once('/')
            .expect("db")
            .0
            .to_string();
        format!("mysql://plainsight_ro:{RO_PASSWORD}@{host}/shop")
    })
}

async fn load_shop() {
    let mut root = admin("mysql").await;
    for stmt in [
        "DROP DATABASE IF EXISTS shop",
        "DROP USER IF EXISTS 'plainsight_ro'@'127.0.0.1'",
        "CREATE DATABASE shop",
    ] {
        root.query_drop(stmt).await.expect(stmt);
    }
    let mut shop = admin("shop").await;
    shop.query_drop(
        "CREATE TABLE regions (region_id INT PRIMARY KEY, name VARCHAR(60) NOT NULL);
         CREATE TABLE customers (customer_id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), city VARCHAR(100),
             region_id INT, segment VARCHAR(40), signup_date DATE, FOREIGN KEY (region_id) REFERENCES regions(region_id));
         CREATE TABLE products (product_id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, category VARCHAR(60),
             unit_cost DECIMAL(10,2), unit_price DECIMAL(10,2));
         CREATE TABLE orders (order_id INT PRIMARY KEY, customer_id INT, order_date DATE, status VARCHAR(20), channel VARCHAR(20),
             FOREIGN KEY (customer_id) REFERENCES customers(customer_id));
         CREATE TABLE order_items (order_item_id INT PRIMARY KEY, order_id INT, product_id INT, quantity INT,
             unit_price DECIMAL(10,2), discount DECIMAL(4,2),
             FOREIGN KEY (order_id) REFERENCES orders(order_id), FOREIGN KEY (product_id) REFERENCES products(product_id));
         CREATE SEQUENCE invoice_numbers;
         CREATE PROCEDURE purge_orders() DELETE FROM orders;",
    )
    .await
    .expect("tables");
    for insert in crate::postgres::sample_inserts() {
        shop.query_drop(insert).await.expect("insert");
    }
    shop.query_drop(format!(
        "CREATE VIEW sales AS
         SELECT o.order_id, o.order_date, DATE_FORMAT(o.order_date, '%Y-%m') AS month, r.name AS region, c.name AS customer, c.city, c.segment,
                o.channel, p.name AS product, p.category, oi.quantity,
                oi.quantity * oi.unit_price * (1 - oi.discount) AS revenue, oi.quantity * p.unit_cost AS cost,
                oi.quantity * oi.unit_price * (1 - oi.discount) - oi.quantity * p.unit_cost AS profit
         FROM order_items oi JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id
         JOIN regions r ON r.region_id = c.region_id JOIN products p ON p.product_id = oi.product_id
         WHERE o.status = 'completed';
         CREATE USER 'plainsight_ro'@'127.0.0.1' IDENTIFIED BY '{RO_PASSWORD}';
         GRANT SELECT, SHOW VIEW ON shop.* TO 'plainsight_ro'@'127.0.0.1';"
    ))
    .await
    .expect("view and account");
}

/// A fingerprint of every row and object the adversarial statements could touch:
/// `CHECKSUM TABLE` of every table, the sequence's next value, and the tables that exist.
pub(crate) fn checksum() -> String {
    runtime().block_on(async {
        let mut c = admin("shop").await;
        let sums: Vec<(String, Option<i64>)> = c
            .query("CHECKSUM TABLE regions, customers, products, orders, order_items EXTENDED")
            .await
            .expect("checksum");
        let seq: Option<i64> = c
            .query_first("SELECT next_not_cached_value FROM invoice_numbers")
            .await
            .expect("sequence");
        let tables: Vec<String> = c
            .query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1")
            .await
            .expect("tables");
        format!("{sums:?} {seq:?} {tables:?}")
    })
}

#[test]
#[ignore = "needs the MariaDB server that scripts/test starts"]
fn dev_questions_answer_from_mariadb_as_from_sqlite() {
    let url = shop_url();
    let root = plainsight_tests::repo_root();
    let cli = crate::cli::bin();
    let data = tempfile::tempdir().expect("data dir");
    let out = std::process::Command::new("python3")
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .arg(root.join("../shared/eval/run-eval"))
        .args([
            "--cli",
            cli.to_str().expect("utf-8"),
            "--db",
            url,
            "--today",
            TODAY,
        ])
        .args([
            "--ref-db",
            sample_db().to_str().expect("utf-8"),
            "--offline",
        ])
        .args([
            "--questions",
            root.join("../shared/eval/questions.dev.jsonl")
                .to_str()
                .expect("utf-8"),
        ])
        .output()
        .expect("run-eval runs");
    let report = String::from_utf8_lossy(&out.stdout);
    let last = report.lines().last().unwrap_or_default().to_string();
    eprintln!("run-eval on MariaDB: {last}");
    assert!(
        out.status.success(),
        "dev questions differ on MariaDB:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !report.contains(RO_PASSWORD),
        "the password is never printed"
    );
}

#[test]
#[ignore = "needs the MariaDB server that scripts/test starts"]
fn adversarial_statements_change_nothing_on_mariadb() {
    use plainsight_core::executor::{ExecError, Limits};
    use plainsight_core::source::{mysql::MySource, DataSource, Dialect};
    let url = shop_url();
    let before = checksum();
    // Through the whole CLI: the guard refuses each.
    for stmt in [
        "DELETE FROM orders",
        "UPDATE orders SET status = 'refunded'",
        "SELECT * FROM orders INTO OUTFILE '/tmp/plainsight-orders.csv'",
        "SELECT LOAD_FILE('/etc/passwd')",
        "SELECT SLEEP(60)",
        "SET SESSION max_statement_time = 0",
        "SELECT 1; DELETE FROM orders",
        "LOCK TABLES orders WRITE",
        "CALL purge_orders()",
        "SELECT NEXTVAL(invoice_numbers)",
        "SELECT 1 /*!, SLEEP(60) */",
        "SELECT * FROM orders FOR UPDATE",
        "CREATE TABLE evil (x INT)",
        // The red team's: text the guard's parser read one way and MariaDB another.
        "SELECT b\"\\\" , \" , @@datadir, GET_LOCK('x',0) -- \"\nFROM (SELECT 1 AS b) t",
        "SELECT 1 --\u{a0}, VERSION(), SLEEP(60)\nFROM (SELECT 1 AS `\u{a0}`) t",
        "SELECT @@datadir",
        "SELECT @a := 1",
        "SELECT 1 UNION SELECT 1 INTO @v",
        "SELECT * FROM mysql.user",
        "SELECT COUNT(*) FROM seq_1_to_100000000000",
    ] {
        let started = Instant::now();
        let out = run(&["sql", "--db", url, "--timeout-ms", "1000", stmt]);
        assert!(!out.status.success(), "{stmt} must be refused");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{stmt}: ended in time"
        );
    }
    // The walls behind the guard, with the guard bypassed (`run_raw`: the app only ever runs a
    // `CheckedSql` through `DataSource::run`): the SELECT-only account, the read-only
    // transaction, one statement per prepared statement, and the time limit.
    let source = MySource::connect(url).expect("connect as the read-only account");
    assert!(source.is_mariadb());
    let limits = Limits {
        timeout: Duration::from_millis(1000),
        ..Limits::default()
    };
    let as_sqlite =
        plainsight_core::guard::check("SELECT count(*) AS n FROM orders").expect("checked");
    let err = source
        .run(&as_sqlite, &limits, None)
        .expect_err("checked for the other dialect");
    assert!(err.to_string().contains("checked as SQLite SQL"), "{err}");
    let checked =
        plainsight_core::guard::check_for("SELECT count(*) AS n FROM orders", Dialect::Mysql)
            .expect("checked");
    let n = source
        .run(&checked, &limits, None)
        .expect("a checked query runs");
    assert_eq!(n.columns, ["n"]);
    let mut raw_results = Vec::new();
    for stmt in [
        "DELETE FROM orders",
        "UPDATE orders SET status = 'refunded'",
        "SELECT * FROM orders INTO OUTFILE '/tmp/plainsight-orders.csv'",
        "SELECT LOAD_FILE('/etc/passwd') AS f",
        "SET SESSION max_statement_time = 0",
        "SELECT 1; DELETE FROM orders",
        "LOCK TABLES orders WRITE",
        "CALL purge_orders()",
        "SELECT NEXTVAL(invoice_numbers)",
        "CREATE TABLE evil (x INT)",
        "SELECT GET_LOCK('plainsight', 10)",
    ] {
        let got = source.run_raw(stmt, &limits, None);
        // LOAD_FILE without the FILE privilege reads NULL; anything else must fail.
        match &got {
            Ok(r) if stmt.contains("LOAD_FILE") => assert_eq!(r.rows, [vec![Value::Null]]),
            // A lock, not a change; released with the connection's next transaction end.
            Ok(_) if stmt.contains("GET_LOCK") => {}
            // Changes only this session, and every query sets its limit again: the SLEEP(60)
            // below is still cut at 1 s.
            Ok(_) if stmt.starts_with("SET SESSION") => {}
            Ok(r) => panic!("{stmt} ran: {r:?}"),
            Err(e) => assert!(
                matches!(e, ExecError::NotAllowed(_) | ExecError::Mysql(_)),
                "{stmt}: {e:?}"
            ),
        }
        raw_results.push(format!(
            "{stmt}: {:?}",
            got.map(|r| r.rows).map_err(|e| e.to_string())
        ));
    }
    eprintln!("raw walls:\n{}", raw_results.join("\n"));
    // The read-only transaction alone, for an account that may write (the admin): row changes
    // are refused by the server. (DDL is not: it commits on its own, hence the README's
    // SELECT-only account.)
    let writer = MySource::connect(&with_db(&admin_url(), "shop")).expect("admin");
    for stmt in [
        "DELETE FROM orders",
        "UPDATE orders SET status = 'refunded'",
        "INSERT INTO regions VALUES (99, 'Moon')",
        "SELECT NEXTVAL(invoice_numbers)",
    ] {
        let err = writer.run_raw(stmt, &limits, None).expect_err(stmt);
        assert!(
            err.to_string().contains("READ ONLY transaction"),
            "{stmt}: {err}"
        );
    }
    let started = Instant::now();
    let err = source
        .run_raw("SELECT SLEEP(60)", &limits, None)
        .expect_err("SLEEP is cut");
    assert!(matches!(err, ExecError::TimedOut(1000)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the limit stops SLEEP(60)"
    );
    // A statement the server's own limit does not cover is stopped by the client's KILL QUERY.
    let started = Instant::now();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pressing = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let long = Limits {
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let err = source
        .run_raw("SELECT SLEEP(60)", &long, Some(stop))
        .expect_err("Stop ends it");
    pressing.join().expect("stop thread");
    assert!(matches!(err, ExecError::Cancelled), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "Stop ends SLEEP(60)"
    );
    let ok = source
        .run_raw("SELECT count(*) AS n FROM orders", &limits, None)
        .expect("reads still work after a timeout");
    assert_eq!(ok.rows, n.rows);
    // The row cap and the byte cap hold while rows stream in.
    let small = Limits {
        max_rows: 5,
        ..limits.clone()
    };
    let cut = source
        .run_raw("SELECT order_id FROM orders", &small, None)
        .expect("cut, not failed");
    assert!(
        cut.truncated && cut.rows.len() == 5,
        "{} rows",
        cut.rows.len()
    );
    let few_bytes = Limits {
        max_bytes: 1 << 20,
        ..limits.clone()
    };
    let cut = source
        .run_raw(
            "SELECT REPEAT('x', 100000) AS x FROM orders LIMIT 1000",
            &few_bytes,
            None,
        )
        .expect("cut, not failed");
    assert!(
        cut.truncated && (5..=11).contains(&cut.rows.len()),
        "{} rows",
        cut.rows.len()
    );
    assert_eq!(
        source
            .run_raw("SELECT count(*) AS n FROM orders", &limits, None)
            .expect("reads after a cut")
            .rows,
        n.rows
    );
    assert_eq!(checksum(), before, "no row, sequence or table changed");
}

#[test]
#[ignore = "needs the MariaDB server that scripts/test starts"]
fn mariadb_connections_are_encrypted_and_passwords_never_shown() {
    use plainsight_core::executor::Limits;
    use plainsight_core::source::mysql::MySource;
    let url = shop_url();
    let ca = std::env::var("PLAINSIGHT_TEST_MYSQL_CA").expect("scripts/test makes a CA");
    let cipher = |url: &str| -> Result<Value, String> {
        let source = MySource::connect(url).map_err(|e| e.to_string())?;
        let r = source
            .run_raw(
                "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
                &Limits::default(),
                None,
            )
            .map_err(|e| e.to_string())?;
        Ok(r.rows[0][1].clone())
    };
    let encrypted = |v: &Result<Value, String>| matches!(v, Ok(Value::String(s)) if !s.is_empty());
    assert!(
        encrypted(&cipher(url)),
        "the default encrypts when offered: {:?}",
        cipher(url)
    );
    assert_eq!(
        cipher(&format!("{url}?ssl-mode=DISABLED")),
        Ok(Value::String(String::new()))
    );
    let untrusted = cipher(&format!("{url}?ssl-mode=VERIFY_IDENTITY"))
        .expect_err("a private CA is not trusted by default");
    assert!(
        untrusted.contains("not trusted") && !untrusted.contains(RO_PASSWORD),
        "{untrusted}"
    );
    assert!(encrypted(&cipher(&format!(
        "{url}?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"
    ))));
    // Wrong password, nothing listening: one plain line, without the password.
    let wrong = url.replace(RO_PASSWORD, "not-the-password");
    let out = run(&["ask", "--db", &wrong, "--json", "sales by region"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("Access denied")
            && !stderr.contains("not-the-password"),
        "{stderr}"
    );
    // The password from MYSQL_PWD, as the mysql client takes it.
    let bare = url.replace(&format!(":{RO_PASSWORD}"), "");
    let data = tempfile::tempdir().expect("data dir");
    let out = std::process::Command::new(crate::cli::bin())
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .args(["sql", "--db", &bare, "SELECT COUNT(*) AS n FROM regions"])
        .env("MYSQL_PWD", RO_PASSWORD)
        .output()
        .expect("cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A SQLite database's tables copied into a new MariaDB database `name`, in MariaDB's types (the
/// declared SQLite type decides: integers, DECIMAL, DOUBLE, DATETIME, VARCHAR or TEXT), with their
/// primary and foreign keys; views and blobs are left out. Returns the SELECT-only URL.
fn copy_into_mariadb(sqlite: &std::path::Path, name: &str) -> String {
    // The shop's loading (re)creates the SELECT-only account: first, so the grant below stays.
    let shop = shop_url();
    let src =
        rusqlite::Connection::open_with_flags(sqlite, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("sqlite");
    let tables: Vec<String> = src
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    let q = |n: &str| format!("`{}`", n.replace('`', "``"));
    let mut ddl = vec!["SET foreign_key_checks = 0".to_string()];
    let mut inserts = Vec::new();
    for table in &tables {
        let cols: Vec<(String, String, i64)> = src
            .prepare(&format!(
                "SELECT name, upper(type), pk FROM pragma_table_info('{}') ORDER BY cid",
                table.replace('\'', "''")
            ))
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .expect("columns");
        let fks: Vec<(String, String, String)> = src
            .prepare(&format!("SELECT \"from\", \"table\", coalesce(\"to\", '') FROM pragma_foreign_key_list('{}')", table.replace('\'', "''")))
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .expect("foreign keys");
        let keyed = |c: &str| {
            cols.iter().any(|(n, _, pk)| n == c && *pk > 0) || fks.iter().any(|(f, _, _)| f == c)
        };
        let mut parts: Vec<String> = cols
            .iter()
            .map(|(n, ty, _)| {
                let my = if ty.contains("INT") {
                    "BIGINT".to_string()
                } else if ty.starts_with("NUMERIC(") || ty.starts_with("DECIMAL(") {
                    ty.replace("NUMERIC", "DECIMAL")
                } else if ty.contains("NUMERIC") || ty.contains("DECIMAL") || ty.contains("MONEY") {
                    "DECIMAL(18,4)".into()
                } else if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") {
                    "DOUBLE".into()
                } else if ty.contains("DATE") || ty.contains("TIME") {
                    "DATETIME".into()
                } else if ty.contains("BLOB") || ty == "IMAGE" {
                    "LONGBLOB".into()
                } else if keyed(n) {
                    "VARCHAR(191)".into()
                } else {
                    "TEXT".into()
                };
                format!("{} {my}", q(n))
            })
            .collect();
        let pk: Vec<String> = {
            let mut pk: Vec<&(String, String, i64)> = cols.iter().filter(|c| c.2 > 0).collect();
            pk.sort_by_key(|c| c.2);
            pk.iter().map(|c| q(&c.0)).collect()
        };
        if !pk.is_empty() {
            parts.push(format!("PRIMARY KEY ({})", pk.join(", ")));
        }
        for (from, to_table, to) in &fks {
            let to = if to.is_empty() { from } else { to };
            parts.push(format!(
                "FOREIGN KEY ({}) REFERENCES {} ({})",
                q(from),
                q(to_table),
                q(to)
            ));
        }
        ddl.push(format!("CREATE TABLE {} ({})", q(table), parts.join(", ")));
        let mut stmt = src
            .prepare(&format!("SELECT * FROM {}", q(table).replace('`', "\"")))
            .expect("select");
        let width = stmt.column_count();
        let blob: Vec<bool> = cols
            .iter()
            .map(|(_, ty, _)| ty.contains("BLOB") || ty == "IMAGE")
            .collect();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..width)
                    .map(|i| {
                        if blob[i] {
                            "NULL".into()
                        } else {
                            crate::postgres::literal(r.get_ref(i).expect("cell"))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "))
            })
            .expect("rows")
            .map(|r| format!("({})", r.expect("row")))
            .collect();
        for chunk in rows.chunks(500) {
            inserts.push(format!(
                "INSERT INTO {} VALUES {}",
                q(table),
                chunk.join(", ")
            ));
        }
    }
    runtime().block_on(async {
        let mut root = admin("mysql").await;
        root.query_drop(format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .expect("drop");
        root.query_drop(format!("CREATE DATABASE {name}"))
            .await
            .expect("create");
        // The test account's user (created with the shop).
        root.query_drop(format!(
            "GRANT SELECT, SHOW VIEW ON {name}.* TO 'plainsight_ro'@'127.0.0.1'"
        ))
        .await
        .expect("grant");
        let mut db = admin(name).await;
        // Permissive for loading only: a text that is no date becomes NULL, not an error.
        db.query_drop("SET SESSION sql_mode = ''")
            .await
            .expect("mode");
        for stmt in ddl.iter().chain(&inserts) {
            db.query_drop(stmt)
                .await
                .unwrap_or_else(|e| panic!("{e}: {}", &stmt[..stmt.len().min(200)]));
        }
    });
    shop.replace("/shop", &format!("/{name}"))
}

#[test]
#[ignore = "needs the MariaDB server that scripts/test starts"]
fn public_databases_answer_on_mariadb_as_on_sqlite() {
    let root = plainsight_tests::repo_root();
    let mut lost = Vec::new();
    for (name, file, questions) in [
        (
            "chinook",
            "../shared/data/chinook.sqlite",
            "tests/eval/chinook.jsonl",
        ),
        (
            "northwind",
            "../shared/data/northwind.sqlite",
            "tests/eval/northwind.jsonl",
        ),
    ] {
        let sqlite = root.join(file);
        let url = copy_into_mariadb(&sqlite, name);
        let (on_sqlite, sqlite_score) = crate::eval::run_eval(
            sqlite.to_str().expect("utf-8"),
            &root.join(questions),
            &sqlite,
        );
        let (on_mariadb, mariadb_score) =
            crate::eval::run_eval(&url, &root.join(questions), &sqlite);
        eprintln!("{name}: SQLite {sqlite_score}; MariaDB {mariadb_score}");
        lost.extend(
            on_sqlite
                .iter()
                .filter(|id| !on_mariadb.contains(id))
                .map(|id| format!("{name} {id}")),
        );
    }
    assert!(
        lost.is_empty(),
        "answered right from SQLite but not from the same data in MariaDB: {lost:?}"
    );
}
