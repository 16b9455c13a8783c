//! The bundled sample database: the books of "Harbor & Pine Supply", an outdoor-gear retailer.
//!
//! The schema and meaning are fixed by `shared/docs/sample-data.md`. The data is generated from a
//! fixed seed relative to `today`, so the same `(seed, today, orders)` always gives the same file
//! and nothing large is committed. We use our own SplitMix64 rather than `rand`, because `rand`
//! does not promise that a seeded generator yields the same stream across versions, and the
//! evaluation depends on byte-for-byte reproducible data.

use std::path::Path;

use chrono::{Datelike, Days, Months, NaiveDate};
use rusqlite::{params, Connection};

/// Default number of orders (about 20,000 over 25 months).
pub const DEFAULT_ORDERS: u32 = 20_000;
const SEED: u64 = 0x5EED_0F4A_7B0B;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("could not write the sample database to {path}")]
    Write {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("could not replace {path} with the new sample database")]
    Rename {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
pub const SEGMENTS: [&str; 3] = ["Retail", "Wholesale", "Online"];
pub const CHANNELS: [&str; 3] = ["store", "web", "phone"];
pub const CATEGORIES: [&str; 5] = ["Camping", "Climbing", "Apparel", "Footwear", "Accessories"];

const CITIES: [[&str; 4]; 5] = [
    ["Duluth", "Fargo", "Bismarck", "Marquette"],
    ["Savannah", "Mobile", "Charleston", "Tallahassee"],
    ["Portland ME", "Burlington", "Albany", "Providence"],
    ["Eugene", "Bend", "Boise", "Spokane"],
    ["Omaha", "Des Moines", "Wichita", "Topeka"],
];
const FIRST: [&str; 30] = [
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Finn", "Grace", "Hugo", "Iris", "Jonah", "Kira",
    "Liam", "Maya", "Noah", "Olive", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
    "Wren", "Xavi", "Yara", "Zane", "Alma", "Bruno", "Cleo", "Dario",
];
const LAST: [&str; 30] = [
    "Alder",
    "Birch",
    "Cedar",
    "Dunn",
    "Ellis",
    "Frost",
    "Gale",
    "Hale",
    "Ives",
    "Judd",
    "Keane",
    "Lowe",
    "Marsh",
    "North",
    "Oakes",
    "Pike",
    "Quill",
    "Reed",
    "Stone",
    "Thorne",
    "Underwood",
    "Vale",
    "Wells",
    "Yates",
    "Zeller",
    "Brook",
    "Cole",
    "Drake",
    "Fenn",
    "Grove",
];
/// Product nouns per category, with a price range in dollars.
const PRODUCTS: [(&str, [&str; 12], f64, f64); 5] = [
    (
        "Camping",
        [
            "Tent",
            "Sleeping Bag",
            "Camp Stove",
            "Lantern",
            "Cooler",
            "Hammock",
            "Camp Chair",
            "Sleeping Pad",
            "Water Filter",
            "Cookset",
            "Tarp",
            "Camp Table",
        ],
        25.0,
        420.0,
    ),
    (
        "Climbing",
        [
            "Harness",
            "Rope",
            "Carabiner Set",
            "Belay Device",
            "Helmet",
            "Chalk Bag",
            "Quickdraws",
            "Crash Pad",
            "Climbing Shoes",
            "Ascender",
            "Sling",
            "Nut Tool",
        ],
        12.0,
        320.0,
    ),
    (
        "Apparel",
        [
            "Rain Jacket",
            "Fleece",
            "Down Parka",
            "Base Layer",
            "Hiking Pants",
            "Wool Socks",
            "Beanie",
            "Gloves",
            "Softshell",
            "Vest",
            "Shorts",
            "Sun Hoodie",
        ],
        15.0,
        300.0,
    ),
    (
        "Footwear",
        [
            "Hiking Boots",
            "Trail Runners",
            "Sandals",
            "Approach Shoes",
            "Winter Boots",
            "Camp Slippers",
            "Gaiters",
            "Mountaineering Boots",
            "Water Shoes",
            "Insoles",
            "Mid Boots",
            "Trail Sneakers",
        ],
        20.0,
        350.0,
    ),
    (
        "Accessories",
        [
            "Headlamp",
            "Trekking Poles",
            "Daypack",
            "Water Bottle",
            "Compass",
            "Multitool",
            "First Aid Kit",
            "Dry Bag",
            "Map Case",
            "Sunglasses",
            "Bear Canister",
            "Stuff Sack",
        ],
        8.0,
        180.0,
    ),
];
const BRANDS: [&str; 5] = ["Harbor", "Pine", "Summit", "Ridge", "Cove"];

/// SplitMix64: tiny, fast and stable forever (see the module note).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next_u64() >> 11) as f64;
        x / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let i = (self.next_u64() % n as u64) as usize;
        i
    }
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// How strongly a category sells in a month: Camping peaks in summer, Apparel in winter.
fn category_weights(month: u32) -> [f64; 5] {
    let summer = match month {
        6..=8 => 1.0,
        5 | 9 => 0.5,
        _ => 0.0,
    };
    let winter = match month {
        12 | 1 | 2 => 1.0,
        11 | 3 => 0.5,
        _ => 0.0,
    };
    [1.0 + 1.2 * summer, 0.8, 1.0 + 1.2 * winter, 0.9, 0.7]
}

/// The generation window: the 24 full calendar months before `today`'s month, plus this month to `today`.
pub fn window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = today.with_day(1).expect("day 1 exists");
    (this_month - Months::new(24), today)
}

struct Customer {
    region: usize,
    segment: usize,
    signup: NaiveDate,
}

/// Writes the sample database to `out` (atomically: a temporary file renamed into place, so a
/// failure never leaves a half-written database where a good one was).
pub fn write_sample_db(out: &Path, today: NaiveDate, orders: u32) -> Result<(), SampleError> {
    let tmp = out.with_extension("tmp-sample");
    let _ = std::fs::remove_file(&tmp);
    let write_err = |source| SampleError::Write {
        path: out.display().to_string(),
        source,
    };
    let mut conn = Connection::open(&tmp).map_err(write_err)?;
    generate(&mut conn, today, orders).map_err(write_err)?;
    drop(conn);
    std::fs::rename(&tmp, out).map_err(|source| SampleError::Rename {
        path: out.display().to_string(),
        source,
    })
}

/// Fills an empty connection with the sample schema and data.
pub fn generate(conn: &mut Connection, today: NaiveDate, orders: u32) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let mut rng = Rng(SEED);
    let (start, end) = window(today);
    let tx = conn.transaction()?;

    for (i, name) in REGIONS.iter().enumerate() {
        tx.execute(
            "INSERT INTO regions(region_id, name) VALUES (?1, ?2)",
            params![i as i64 + 1, name],
        )?;
    }

    // Products: 12 per category, priced within the category's range; cost 45–65% of price.
    let mut products_by_cat: Vec<Vec<(usize, f64)>> = vec![Vec::new(); 5];
    {
        let mut stmt = tx.prepare("INSERT INTO products VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut id = 0usize;
        for (c, (cat, nouns, lo, hi)) in PRODUCTS.iter().enumerate() {
            for (k, noun) in nouns.iter().enumerate() {
                id += 1;
                let price =
                    ((lo + (hi - lo) * rng.unit().powf(1.6)) * 100.0).round() / 100.0 - 0.01;
                let price = price.max(4.99);
                let cost = (price * (0.45 + 0.2 * rng.unit()) * 100.0).round() / 100.0;
                let name = format!("{} {}", BRANDS[(k + c) % BRANDS.len()], noun);
                stmt.execute(params![id as i64, name, cat, cost, price])?;
                products_by_cat[c].push((id, price));
            }
        }
    }

    // Customers: the first 15 cover every region × segment and signed up before the window, so
    // that every region and segment can have orders in every month.
    let n_customers = 500usize;
    let mut customers: Vec<Customer> = Vec::with_capacity(n_customers);
    let span_days = (end - start).num_days().max(1);
    for i in 0..n_customers {
        let (region, segment, signup) = if i < 15 {
            (i % 5, i / 5, start - Days::new(400 + i as u64))
        } else {
            let seg = rng.weighted(&[0.5, 0.15, 0.35]);
            // About a quarter signed up before the window, the rest during it.
            let offset = (rng.unit() * (span_days + 365) as f64) as i64 - 365;
            let signup = if offset < 0 {
                start - Days::new(offset.unsigned_abs())
            } else {
                start + Days::new(offset as u64)
            };
            (rng.below(5), seg, signup)
        };
        customers.push(Customer {
            region,
            segment,
            signup,
        });
    }
    customers.sort_by_key(|c| c.signup);
    {
        let mut stmt = tx.prepare("INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for (i, c) in customers.iter().enumerate() {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len() + i * 7) % LAST.len()];
            let name = format!("{first} {last}");
            let email = format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i + 1
            );
            let city = CITIES[c.region][rng.below(4)];
            stmt.execute(params![
                i as i64 + 1,
                name,
                email,
                city,
                c.region as i64 + 1,
                SEGMENTS[c.segment],
                c.signup.to_string()
            ])?;
        }
    }
    // Index of the first customer of each (region, segment) combination who signed up before the window.
    let anchor = |region: usize, segment: usize| -> usize {
        customers
            .iter()
            .position(|c| c.region == region && c.segment == segment && c.signup < start)
            .expect("anchors exist")
    };

    // Order dates: a weight per day (weekends busier, gentle growth, summer/December peaks).
    let days: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= end).collect();
    let weights: Vec<f64> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let weekend = if d.weekday().number_from_monday() >= 6 {
                1.3
            } else {
                1.0
            };
            let season = match d.month() {
                6..=8 => 1.25,
                11 | 12 => 1.3,
                1 | 2 => 0.85,
                _ => 1.0,
            };
            let growth = 1.0 + 0.3 * i as f64 / days.len() as f64;
            weekend * season * growth
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }

    // (date, customer index, channel, status, forced category) — coverage orders first for each month.
    let mut plan: Vec<(NaiveDate, usize, usize, &str, Option<usize>)> =
        Vec::with_capacity(orders as usize + 200);
    let mut month = start;
    while month <= end {
        for k in 0..5 {
            let day = month + Days::new(k as u64 % u64::from(days_in_month_until(month, end)));
            plan.push((day, anchor(k % 5, k % 3), k % 3, "completed", Some(k % 5)));
        }
        // Make sure every (region, segment) and channel pairing appears, not just the diagonal.
        for k in 0..15 {
            let day = month + Days::new(k as u64 % u64::from(days_in_month_until(month, end)));
            plan.push((
                day,
                anchor(k % 5, k / 5),
                (k + 1) % 3,
                "completed",
                Some((k + 2) % 5),
            ));
        }
        month = month + Months::new(1);
    }
    let coverage = plan.len();
    for _ in coverage..(orders as usize).max(coverage) {
        let x = rng.unit();
        let idx = cumulative.partition_point(|c| *c < x).min(days.len() - 1);
        let date = days[idx];
        let signed_up = customers.partition_point(|c| c.signup <= date).max(15);
        let customer = rng.below(signed_up);
        let channel = rng.weighted(&[0.45, 0.4, 0.15]);
        let status = match rng.unit() {
            u if u < 0.05 => "refunded",
            u if u < 0.08 => "cancelled",
            _ => "completed",
        };
        plan.push((date, customer, channel, status, None));
    }
    plan.sort_by_key(|p| p.0);

    {
        let mut order_stmt = tx.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut item_stmt =
            tx.prepare("INSERT INTO order_items(order_id, product_id, quantity, unit_price, discount) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (i, (date, customer, channel, status, forced)) in plan.iter().enumerate() {
            let order_id = i + 1;
            order_stmt.execute(params![
                order_id as i64,
                *customer as i64 + 1,
                date.to_string(),
                status,
                CHANNELS[*channel]
            ])?;
            let n_items = 1 + rng.weighted(&[0.5, 0.3, 0.15, 0.05]);
            let wholesale = customers[*customer].segment == 1;
            for item in 0..n_items {
                let cat = match forced {
                    Some(c) if item == 0 => *c,
                    _ => rng.weighted(&category_weights(date.month())),
                };
                let (product_id, price) = products_by_cat[cat][rng.below(12)];
                let quantity = if wholesale {
                    2 + rng.below(9)
                } else {
                    1 + rng.weighted(&[0.7, 0.2, 0.1])
                };
                let discount = if rng.unit() < 0.7 {
                    0.0
                } else {
                    0.05 * (1 + rng.below(6)) as f64
                };
                item_stmt.execute(params![
                    order_id as i64,
                    product_id as i64,
                    quantity as i64,
                    price,
                    (discount * 100.0).round() / 100.0
                ])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE;")?;
    Ok(())
}

/// Days of `month` that are inside the window (the current month stops at `today`).
fn days_in_month_until(month: NaiveDate, end: NaiveDate) -> u32 {
    let next = month + Months::new(1);
    let last = (next - Days::new(1)).min(end);
    (last - month).num_days() as u32 + 1
}

const SCHEMA: &str = "
CREATE TABLE regions (region_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, city TEXT,
    region_id INTEGER REFERENCES regions(region_id), segment TEXT, signup_date TEXT);
CREATE TABLE products (
    product_id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, unit_cost REAL, unit_price REAL);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
    order_date TEXT, status TEXT, channel TEXT);
CREATE TABLE order_items (
    order_item_id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(order_id),
    product_id INTEGER REFERENCES products(product_id), quantity INTEGER, unit_price REAL, discount REAL);
CREATE INDEX orders_date ON orders(order_date);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE VIEW sales AS
SELECT o.order_id, o.order_date, substr(o.order_date, 1, 7) AS month,
       r.name AS region, c.name AS customer, c.city, c.segment, o.channel,
       p.name AS product, p.category, oi.quantity,
       oi.quantity * oi.unit_price * (1 - oi.discount) AS revenue,
       oi.quantity * p.unit_cost AS cost,
       oi.quantity * oi.unit_price * (1 - oi.discount) - oi.quantity * p.unit_cost AS profit
FROM order_items oi
JOIN orders o ON o.order_id = oi.order_id
JOIN customers c ON c.customer_id = o.customer_id
JOIN regions r ON r.region_id = c.region_id
JOIN products p ON p.product_id = oi.product_id
WHERE o.status = 'completed';
";

#[cfg(test)]
mod tests {
    use super::*;

    fn db(today: &str, orders: u32) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        generate(&mut conn, today.parse().unwrap(), orders).unwrap();
        conn
    }

    fn scalar(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn every_region_segment_channel_and_category_sells_every_month() {
        let conn = db("2026-11-01", 3000);
        for col in ["region", "segment", "channel", "category"] {
            let gaps = scalar(
                &conn,
                &format!(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT month FROM sales) m, (SELECT DISTINCT {col} v FROM sales) d
                 WHERE NOT EXISTS (SELECT 1 FROM sales s WHERE s.month = m.month AND s.{col} = d.v)"
                ),
            );
            assert_eq!(gaps, 0, "every {col} must have orders in every month");
        }
        assert_eq!(
            scalar(&conn, "SELECT COUNT(DISTINCT month) FROM sales"),
            25,
            "24 full months plus the current one"
        );
    }

    #[test]
    fn default_size_and_status_mix_match_the_spec() {
        let conn = db("2026-11-26", DEFAULT_ORDERS);
        let orders = scalar(&conn, "SELECT COUNT(*) FROM orders");
        assert!(
            (19_000..=21_000).contains(&orders),
            "about 20,000 orders, got {orders}"
        );
        assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM customers"), 500);
        assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM products"), 60);
        let refunded = scalar(
            &conn,
            "SELECT COUNT(*) FROM orders WHERE status = 'refunded'",
        ) * 1000
            / orders;
        let cancelled = scalar(
            &conn,
            "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'",
        ) * 1000
            / orders;
        assert!(
            (40..=60).contains(&refunded),
            "about 5% refunded, got {refunded}‰"
        );
        assert!(
            (20..=40).contains(&cancelled),
            "about 3% cancelled, got {cancelled}‰"
        );
        assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM orders WHERE order_date > '2026-11-26' OR order_date < '2024-11-01'"), 0);
        assert_eq!(
            scalar(
                &conn,
                "SELECT COUNT(*) FROM order_items WHERE discount < 0 OR discount > 0.3"
            ),
            0
        );
    }

    #[test]
    fn camping_peaks_in_summer_and_apparel_in_winter() {
        let conn = db("2026-11-26", DEFAULT_ORDERS);
        let share = |cat: &str, months: &str| -> i64 {
            scalar(&conn, &format!("SELECT CAST(1000 * SUM(CASE WHEN category = '{cat}' THEN quantity END) / SUM(quantity) AS INTEGER) FROM sales WHERE substr(month, 6) IN ({months})"))
        };
        assert!(share("Camping", "'06','07','08'") > share("Camping", "'12','01','02'"));
        assert!(share("Apparel", "'12','01','02'") > share("Apparel", "'06','07','08'"));
    }

    #[test]
    fn same_seed_and_today_give_the_same_data() {
        let digest = |c: &Connection| -> (i64, f64) {
            c.query_row(
                "SELECT COUNT(*), ROUND(SUM(revenue), 4) FROM sales",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(
            digest(&db("2026-03-15", 2000)),
            digest(&db("2026-03-15", 2000))
        );
    }
}
