//! Planner cases as a table: question → route-relevant confidence and the SQL it writes.
use super::*;

fn planner() -> Planner {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    crate::sample::generate(&mut conn, "2026-11-26".parse().unwrap(), 800).unwrap();
    Planner::new(
        &crate::schema::introspect(&conn).unwrap(),
        crate::source::Dialect::Sqlite,
    )
}

fn today() -> NaiveDate {
    "2026-11-26".parse().unwrap()
}

#[track_caller]
fn answers(p: &Planner, question: &str, sql: &str) {
    let plan = p.plan(question, today());
    assert!(
        plan.confidence >= 0.8,
        "{question}: confidence {} ({})",
        plan.confidence,
        plan.interpretation
    );
    assert_eq!(
        plan.sql
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
        Some(sql.to_string()),
        "{question}"
    );
}

/// What the router makes of a plan at the default thresholds.
fn decided(plan: &Plan) -> crate::router::Decision {
    crate::router::decide(plan, crate::router::Thresholds::default())
}

/// A question the router clarifies at the default thresholds: the options it offers.
#[track_caller]
fn unsure(p: &Planner, question: &str) -> Vec<String> {
    let plan = p.plan(question, today());
    assert!(
        (0.3..0.8).contains(&plan.confidence),
        "{question}: expected clarify, confidence {} ({})",
        plan.confidence,
        plan.interpretation
    );
    let options = decided(&plan).options;
    assert!(
        !options.is_empty() && options.len() <= 3,
        "{question}: 1–3 options"
    );
    options
}

#[test]
fn everyday_questions_become_sql() {
    let p = planner();
    answers(&p, "show me last month's sales by region", "SELECT region, SUM(revenue) AS revenue FROM sales WHERE order_date >= '2026-10-01' AND order_date < '2026-11-01' GROUP BY region ORDER BY revenue DESC");
    answers(
        &p,
        "top 5 products by revenue",
        "SELECT product, SUM(revenue) AS revenue FROM sales GROUP BY product ORDER BY revenue DESC LIMIT 5",
    );
    answers(
        &p,
        "how many orders were refunded last month",
        "SELECT COUNT(*) AS orders FROM orders WHERE status = 'refunded' AND order_date >= '2026-10-01' AND order_date < '2026-11-01'",
    );
    answers(
        &p,
        "number of customers by segment",
        "SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment ORDER BY customers DESC",
    );
    answers(&p, "orders per month in 2025", "SELECT month, COUNT(DISTINCT order_id) AS orders FROM sales WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01' GROUP BY month ORDER BY month");
    answers(
        &p,
        "how many new customers signed up last month",
        "SELECT COUNT(*) AS customers FROM customers WHERE signup_date >= '2026-10-01' AND signup_date < '2026-11-01'",
    );
    answers(
        &p,
        "revenue for the West region this year",
        "SELECT SUM(revenue) AS revenue FROM sales WHERE region = 'West' AND order_date >= '2026-01-01' AND order_date < '2026-11-27'",
    );
    answers(&p, "profit margin by category", "SELECT category, SUM(profit) * 1.0 / NULLIF(SUM(revenue), 0) AS profit_margin FROM sales GROUP BY category ORDER BY profit_margin DESC");
    answers(
        &p,
        "what is our best selling product",
        "SELECT product, SUM(quantity) AS quantity FROM sales GROUP BY product ORDER BY quantity DESC LIMIT 1",
    );
}

#[test]
fn misspellings_are_corrected_and_said() {
    let p = planner();
    let plan = p.plan("revnue by regoin last month", today());
    assert!(plan.confidence >= 0.8, "{plan:?}");
    assert!(
        plan.interpretation
            .contains("read \"revnue\" as \"revenue\""),
        "{}",
        plan.interpretation
    );
}

#[test]
fn vague_questions_get_options_that_themselves_answer() {
    let p = planner();
    for q in ["how are we doing?", "show me the numbers"] {
        for option in &unsure(&p, q) {
            assert!(
                p.plan(option, today()).confidence >= 0.8,
                "option {option:?} offered for {q:?} must be answerable"
            );
        }
    }
}

#[test]
fn unrelated_questions_fall_back_and_writes_are_refused() {
    let p = planner();
    let plan = p.plan("what's the weather in Paris tomorrow?", today());
    assert!(plan.confidence < 0.3, "{plan:?}");
    let message = decided(&plan).message;
    assert!(
        message.contains("I can answer questions about"),
        "{message}"
    );
    for q in [
        "delete all refunded orders",
        "drop the customers table",
        "please update the prices",
        "truncate orders",
    ] {
        assert!(p.plan(q, today()).wants_change, "{q} must be refused");
    }
    assert!(
        !p.plan("which products were updated most", today())
            .wants_change
    );
}

#[test]
fn interpretation_states_the_time_window() {
    let p = planner();
    let plan = p.plan("show me last month's sales by region", today());
    assert!(
        plan.interpretation
            .contains("last month = 1–31 October 2026"),
        "{}",
        plan.interpretation
    );
    assert_eq!(plan.title, "Revenue by region, last month");
}

/// A database the planner was not written for: joins come from its foreign keys.
fn chinook() -> Planner {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/chinook.sqlite"
    );
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    Planner::new(
        &crate::schema::introspect(&conn).unwrap(),
        crate::source::Dialect::Sqlite,
    )
}

#[test]
fn other_schemas_are_answered_through_their_foreign_keys() {
    let p = chinook();
    answers(&p, "how many tracks by genre", "SELECT Genre.Name AS genre, COUNT(*) AS track FROM Track JOIN Genre ON Track.GenreId = Genre.GenreId GROUP BY Genre.Name ORDER BY track DESC");
    answers(&p, "top 5 customers by revenue", "SELECT Customer.FirstName || ' ' || Customer.LastName AS customer, SUM(Invoice.Total) AS Total FROM Invoice JOIN Customer ON Invoice.CustomerId = Customer.CustomerId GROUP BY Customer.FirstName || ' ' || Customer.LastName ORDER BY Total DESC LIMIT 5");
    answers(&p, "top 5 artists by revenue", "SELECT Artist.Name AS artist, SUM(InvoiceLine.UnitPrice * InvoiceLine.Quantity) AS revenue FROM InvoiceLine JOIN Track ON InvoiceLine.TrackId = Track.TrackId JOIN Album ON Track.AlbumId = Album.AlbumId JOIN Artist ON Album.ArtistId = Artist.ArtistId GROUP BY Artist.Name ORDER BY revenue DESC LIMIT 5");
    let unsure = p.plan("revenue by category", today());
    assert!(
        unsure.confidence < 0.8,
        "chinook has no categories: {unsure:?}"
    );
}

#[test]
fn counting_follows_the_documented_word_meanings() {
    let p = planner();
    // customers (counted) = rows of customers, joined for the region's name …
    answers(&p, "customers by region", "SELECT regions.name AS region, COUNT(*) AS customers FROM customers JOIN regions ON customers.region_id = regions.region_id GROUP BY regions.name ORDER BY customers DESC");
    // … unless they are customers who ordered;
    answers(
        &p,
        "how many customers ordered last month",
        "SELECT COUNT(DISTINCT customer) AS customers FROM sales WHERE order_date >= '2026-10-01' AND order_date < '2026-11-01'",
    );
    // orders = completed orders unless a status is named.
    answers(
        &p,
        "how many orders",
        "SELECT COUNT(DISTINCT order_id) AS orders FROM sales",
    );
    answers(
        &p,
        "what are the 5 worst selling products",
        "SELECT product, SUM(quantity) AS quantity FROM sales GROUP BY product ORDER BY quantity ASC LIMIT 5",
    );
    answers(&p, "top customer last month", "SELECT customer, SUM(revenue) AS revenue FROM sales WHERE order_date >= '2026-10-01' AND order_date < '2026-11-01' GROUP BY customer ORDER BY revenue DESC LIMIT 1");
}

/// Rows of `sql` on `conn`, numbers rounded to cents, sorted (row order is not compared).
fn rows_of(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    let n = stmt.column_count();
    let mut rows: Vec<Vec<String>> = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Integer(v) => format!("{:.2}", v as f64),
                        rusqlite::types::ValueRef::Real(v) => format!("{v:.2}"),
                        rusqlite::types::ValueRef::Text(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                        rusqlite::types::ValueRef::Null => "NULL".into(),
                        rusqlite::types::ValueRef::Blob(_) => "BLOB".into(),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// The planner's answer has the reference's rows (its own extra columns aside).
#[track_caller]
fn same_rows(p: &Planner, conn: &rusqlite::Connection, question: &str, reference: &str) {
    let plan = p.plan(question, today());
    assert!(
        plan.confidence >= 0.8,
        "{question}: confidence {} ({})",
        plan.confidence,
        plan.interpretation
    );
    let sql = plan.sql.unwrap_or_else(|| panic!("{question}: no SQL"));
    let want = rows_of(conn, reference);
    let have = rows_of(conn, &sql);
    assert_eq!(have.len(), want.len(), "{question}: row count\n{sql}");
    let mut have_left = have.clone();
    for w in &want {
        let k = have_left
            .iter()
            .position(|h| w.iter().all(|v| h.contains(v)))
            .unwrap_or_else(|| panic!("{question}: no row with {w:?} in {have:?}\n{sql}"));
        have_left.remove(k);
    }
}

#[test]
fn shares_changes_comparisons_and_per_entity_averages() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    crate::sample::generate(&mut conn, today(), 800).unwrap();
    let p = Planner::new(
        &crate::schema::introspect(&conn).unwrap(),
        crate::source::Dialect::Sqlite,
    );
    same_rows(
        &p,
        &conn,
        "what share of last year's revenue came from each region",
        "SELECT region, ROUND(SUM(revenue) * 100.0 / (SELECT SUM(revenue) FROM sales WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01'), 1) FROM sales WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01' GROUP BY region",
    );
    same_rows(
        &p,
        &conn,
        "percentage of orders refunded in 2025",
        "SELECT ROUND(SUM(status = 'refunded') * 100.0 / COUNT(*), 1) FROM orders WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01'",
    );
    same_rows(
        &p,
        &conn,
        "monthly revenue growth this year",
        "WITH m AS (SELECT strftime('%Y-%m', order_date) AS month, SUM(revenue) AS r FROM sales WHERE order_date >= '2026-01-01' AND order_date < '2026-11-27' GROUP BY 1)
         SELECT month, r, ROUND((r - LAG(r) OVER (ORDER BY month)) * 100.0 / LAG(r) OVER (ORDER BY month), 1) FROM m",
    );
    same_rows(
        &p,
        &conn,
        "year-over-year revenue by category",
        "WITH y AS (SELECT strftime('%Y', order_date) AS year, category, SUM(revenue) AS r FROM sales GROUP BY 1, 2)
         SELECT year, category, r FROM y",
    );
    same_rows(
        &p,
        &conn,
        "clients with at least 15 orders",
        "SELECT customer, COUNT(DISTINCT order_id) FROM sales GROUP BY customer HAVING COUNT(DISTINCT order_id) >= 15",
    );
    same_rows(
        &p,
        &conn,
        "which products sold over 200 units in 2025",
        "SELECT product, SUM(quantity) FROM sales WHERE order_date >= '2025-01-01' AND order_date < '2026-01-01' GROUP BY product HAVING SUM(quantity) > 200",
    );
    same_rows(
        &p,
        &conn,
        "average revenue per customer by segment",
        "SELECT segment, SUM(revenue) / COUNT(DISTINCT customer) FROM sales GROUP BY segment",
    );
    // Nothing to compare across: said, not silently dropped.
    let plan = p.plan("revenue more than 100", today());
    assert!(
        plan.confidence < 0.8 && plan.interpretation.contains("more than 100"),
        "{plan:?}"
    );
}

#[test]
fn compound_names_whose_averages_and_chance_matches() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/chinook.sqlite"
    );
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let p = chinook();
    // The head of a two-word name decides: "support rep" is an employee, "media type" a table.
    same_rows(
        &p,
        &conn,
        "total sales by support rep",
        "SELECT e.FirstName || ' ' || e.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON i.CustomerId = c.CustomerId JOIN Employee e ON c.SupportRepId = e.EmployeeId GROUP BY e.EmployeeId",
    );
    same_rows(
        &p,
        &conn,
        "mean track price per media type",
        "SELECT m.Name, AVG(t.UnitPrice) FROM Track t JOIN MediaType m ON t.MediaTypeId = m.MediaTypeId GROUP BY m.Name",
    );
    // "average invoice total": the invoice's own figure, averaged.
    same_rows(
        &p,
        &conn,
        "average invoice total by billing country",
        "SELECT BillingCountry, AVG(Total) FROM Invoice GROUP BY BillingCountry",
    );
    // A stored value matched by chance ("Paris" is a city here) is not a question about the data.
    let plan = p.plan("will it rain in Paris tomorrow", today());
    assert!(
        plan.confidence < 0.3 && decided(&plan).message.starts_with("I can't answer that"),
        "{plan:?}"
    );
}

mod shapes;
