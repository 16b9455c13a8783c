use super::embed::{Embedder, LocalEmbedder};
use super::*;
use crate::planner::Planner;

fn today() -> chrono::NaiveDate {
    "2026-11-26".parse().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    planner: Planner,
    fingerprint: String,
    db: AppDb,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    crate::sample::write_sample_db(&path, today(), 500).unwrap();
    let source = crate::source::SqliteSource::new(&path);
    let schema = crate::source::DataSource::schema(&source).unwrap();
    Fixture {
        planner: Planner::new(&schema, crate::source::Dialect::Sqlite),
        fingerprint: crate::source::schema_fingerprint(&schema),
        db: AppDb::open_in_memory().unwrap(),
        _dir: dir,
    }
}

impl Fixture {
    fn key(&self, q: &str, day: chrono::NaiveDate) -> CacheKey {
        CacheKey::new(
            q,
            self.planner.slots(q, day),
            &self.fingerprint,
            "perplexity/sonar",
            "v1",
            "shop.sqlite",
        )
    }

    fn store(&self, q: &str, now: i64) {
        let e = LocalEmbedder.embed(q).unwrap();
        let config = CacheConfig::default();
        let key = self.key(q, today());
        let reply = format!("reply for {q}");
        let entry = Entry {
            key: &key,
            embedding: &e,
            embedder: &LocalEmbedder.id(),
            reply: &reply,
            cost_nanos: 6_000_000,
        };
        self.db.cache_store(&entry, &config, now).unwrap();
    }

    /// `exact`, `semantic` or `miss` for `q` asked on `day` at `now`.
    fn lookup_on(
        &self,
        q: &str,
        day: chrono::NaiveDate,
        now: i64,
    ) -> (&'static str, Option<String>) {
        let key = self.key(q, day);
        if let Some(h) = self.db.cache_exact(&key, now).unwrap() {
            return ("exact", Some(h.reply));
        }
        let e = LocalEmbedder.embed(q).unwrap();
        match self
            .db
            .cache_semantic(&key, &e, &LocalEmbedder.id(), 0.8, now)
            .unwrap()
        {
            Some(h) => ("semantic", Some(h.reply)),
            None => ("miss", None),
        }
    }

    fn lookup(&self, q: &str) -> &'static str {
        self.lookup_on(q, today(), NOW).0
    }
}

const NOW: i64 = 1_795_000_000;

#[test]
fn paraphrases_hit_and_near_misses_never_do() {
    let f = fixture();
    let cached = [
        "how many customers bought Widget and Gadget",
        "show me last month's sales by region",
        "sales in the West last month",
        "top 5 products by revenue",
        "which products were bought together most often?",
        "revenue from online orders",
        "sales by region in March 2026",
    ];
    for q in cached {
        f.store(q, NOW);
    }
    let cases: &[(&str, &str)] = &[
        // Paraphrases: same question, other words.
        ("show me last month's sales by region", "exact"),
        ("Show me last month's  sales by region!", "exact"),
        ("last month's revenue per region", "semantic"),
        ("revenue by region last month", "semantic"),
        (
            "how much revenue did each region make last month",
            "semantic",
        ),
        ("top 5 products by sales", "semantic"),
        ("the 5 top products by turnover", "semantic"),
        ("which products are most often bought together", "semantic"),
        ("what were the sales by region in march 2026", "semantic"),
        ("sales per region, March 2026", "semantic"),
        // Near-misses: something that changes the answer differs.
        ("sales in the East last month", "miss"),
        ("sales by region this month", "miss"),
        ("sales by region in April 2026", "miss"),
        ("profit by region last month", "miss"),
        ("top 10 products by revenue", "miss"),
        ("revenue from orders that were not online", "miss"),
        ("sales by category last month", "miss"),
        ("which products were bought together least often?", "miss"),
        ("number of customers by signup month", "miss"),
        ("which customers bought Widget or Gadget", "miss"),
        (
            "which products were bought together most often since Monday",
            "miss",
        ),
    ];
    let mut wrong = Vec::new();
    for (q, expected) in cases {
        let got = f.lookup(q);
        if got != *expected {
            wrong.push(format!(
                "{q:?}: expected {expected}, got {got} (slots {:?})",
                f.planner.slots(q, today())
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_relative_time_the_planner_cannot_resolve_is_tied_to_the_day_asked() {
    let f = fixture();
    f.store("orders shipped late since Monday", NOW);
    let tomorrow: chrono::NaiveDate = "2026-11-27".parse().unwrap();
    assert_eq!(
        f.lookup_on("orders shipped late since Monday", today(), NOW)
            .0,
        "exact"
    );
    assert_eq!(
        f.lookup_on("orders shipped late since Monday", tomorrow, NOW)
            .0,
        "miss"
    );
}

#[test]
fn last_month_asked_in_another_month_is_another_question() {
    let f = fixture();
    f.store("sales by region last month", NOW);
    let december: chrono::NaiveDate = "2026-12-03".parse().unwrap();
    assert_eq!(
        f.lookup_on("sales by region last month", december, NOW).0,
        "miss",
        "November's code hard-coded October"
    );
    assert_eq!(
        f.lookup_on("sales by region last month", today(), NOW).0,
        "exact"
    );
}

#[test]
fn entries_expire_are_invalidated_and_a_changed_schema_misses() {
    let f = fixture();
    f.store("top 5 products by revenue", NOW);
    assert_eq!(
        f.lookup_on("top 5 products by revenue", today(), NOW + 3599)
            .0,
        "exact"
    );
    assert_eq!(
        f.lookup_on("top 5 products by revenue", today(), NOW + 3600)
            .0,
        "miss",
        "the TTL is one hour"
    );
    assert_eq!(
        f.lookup_on("top 5 products by sales", today(), NOW + 3600)
            .0,
        "miss"
    );
    // Another schema (a column added) never reuses code written for the old one.
    let other = CacheKey {
        fingerprint: "another-schema".into(),
        ..f.key("top 5 products by revenue", today())
    };
    assert!(f.db.cache_exact(&other, NOW).unwrap().is_none());
    assert!(f
        .db
        .cache_semantic(
            &other,
            &LocalEmbedder.embed("top 5 products by revenue").unwrap(),
            &LocalEmbedder.id(),
            0.8,
            NOW
        )
        .unwrap()
        .is_none());
    // Invalidation by model, source, age and all.
    f.store("revenue by region", NOW);
    assert_eq!(
        f.db.cache_invalidate(&Invalidate::Model("openai/gpt-4o-mini".into()), NOW)
            .unwrap(),
        0
    );
    assert_eq!(
        f.db.cache_invalidate(&Invalidate::Model("perplexity/".into()), NOW)
            .unwrap(),
        2
    );
    f.store("revenue by region", NOW);
    assert_eq!(
        f.db.cache_invalidate(&Invalidate::Source("other.sqlite".into()), NOW)
            .unwrap(),
        0
    );
    assert_eq!(
        f.db.cache_invalidate(&Invalidate::OlderThan(Duration::from_secs(60)), NOW + 30)
            .unwrap(),
        0
    );
    assert_eq!(
        f.db.cache_invalidate(&Invalidate::OlderThan(Duration::from_secs(60)), NOW + 61)
            .unwrap(),
        1
    );
    f.store("revenue by region", NOW);
    assert_eq!(f.db.cache_invalidate(&Invalidate::All, NOW).unwrap(), 1);
    assert_eq!(f.lookup("revenue by region"), "miss");
}

#[test]
fn the_least_recently_used_entries_go_first_and_stats_add_up() {
    let f = fixture();
    let config = CacheConfig {
        max_entries: 2,
        ..CacheConfig::default()
    };
    let e = LocalEmbedder.embed("x").unwrap();
    for (i, q) in ["revenue by region", "profit by region", "units by category"]
        .iter()
        .enumerate()
    {
        let now = NOW + 10 * i as i64;
        if i == 2 {
            // The first is used again before the third arrives, so the second is the oldest.
            let hit =
                f.db.cache_exact(&f.key("revenue by region", today()), now)
                    .unwrap()
                    .unwrap();
            f.db.cache_count(Some(&hit), 40, now).unwrap();
        }
        let key = f.key(q, today());
        let entry = Entry {
            key: &key,
            embedding: &e,
            embedder: &LocalEmbedder.id(),
            reply: "r",
            cost_nanos: 10_000_000,
        };
        f.db.cache_store(&entry, &config, now).unwrap();
    }
    assert!(f
        .db
        .cache_exact(&f.key("revenue by region", today()), NOW)
        .unwrap()
        .is_some());
    assert!(
        f.db.cache_exact(&f.key("profit by region", today()), NOW)
            .unwrap()
            .is_none(),
        "evicted"
    );
    f.db.cache_count(None, 60, NOW).unwrap();
    let s = f.db.cache_stats(NOW).unwrap();
    assert_eq!(
        (s.entries, s.lookups, s.exact_hits, s.semantic_hits),
        (2, 2, 1, 0)
    );
    assert!(
        s.saved_nanos == 10_000_000
            && s.saved_usd() == 0.01
            && (s.avg_lookup_micros - 50.0).abs() < 1e-9,
        "{s:?}"
    );
}

/// The dev questions (shared/eval/questions.dev.jsonl), each with paraphrases a person might type
/// and near-misses that ask for something else. The local embedder's recall on the paraphrases is
/// reported; a near-miss hit is a failure.
const PARAPHRASES: &[(&str, &[&str], &[&str])] = &[
    (
        "show me last month's sales by region",
        &[
            "last month's revenue per region",
            "revenue by region last month",
            "how much did each region sell last month",
        ],
        &[
            "last month's profit by region",
            "sales by region this month",
            "last month's sales by category",
        ],
    ),
    (
        "total revenue this year",
        &[
            "this year's total revenue",
            "how much revenue this year",
            "total sales so far this year",
        ],
        &["total revenue last year", "total profit this year"],
    ),
    (
        "top 5 products by revenue",
        &[
            "the 5 top products by turnover",
            "top five products by revenue",
            "5 best products by sales",
        ],
        &["top 10 products by revenue", "bottom 5 products by revenue"],
    ),
    (
        "monthly revenue for the last 12 months",
        &[
            "revenue per month over the last 12 months",
            "revenue by month, last 12 months",
        ],
        &[
            "monthly revenue for the last 6 months",
            "monthly profit for the last 12 months",
        ],
    ),
    (
        "how many orders did we get last week",
        &[
            "how many orders came in last week",
            "number of orders last week",
        ],
        &[
            "how many orders did we get this week",
            "how many customers did we get last week",
        ],
    ),
    (
        "average order value by channel",
        &["avg order value per channel", "average basket by channel"],
        &[
            "average order value by region",
            "average order value by channel last month",
        ],
    ),
    (
        "profit by category in 2025",
        &["2025 profit per category", "profits by category for 2025"],
        &["profit by category in 2024", "revenue by category in 2025"],
    ),
    (
        "number of customers by segment",
        &[
            "how many customers in each segment",
            "customer count per segment",
        ],
        &[
            "number of customers by region",
            "number of orders by segment",
        ],
    ),
    (
        "which region had the highest profit last quarter",
        &[
            "region with the highest profit last quarter",
            "last quarter, which region had the most profit",
        ],
        &[
            "which region had the lowest profit last quarter",
            "which region had the highest profit this quarter",
        ],
    ),
    (
        "revenue by month for online customers in 2025",
        &[
            "monthly revenue from online customers in 2025",
            "2025 revenue by month for online customers",
        ],
        &[
            "revenue by month for retail customers in 2025",
            "revenue by month for online customers in 2024",
        ],
    ),
    (
        "how many orders were refunded last month",
        &[
            "number of refunded orders last month",
            "how many refunded orders last month",
        ],
        &[
            "how many orders were cancelled last month",
            "how many orders were refunded this month",
        ],
    ),
    (
        "units sold by category this month",
        &[
            "this month's units sold per category",
            "units sold per category this month",
        ],
        &[
            "units sold by category last month",
            "units sold by product this month",
        ],
    ),
    (
        "top 10 customers by revenue this year",
        &[
            "this year's top 10 customers by sales",
            "the 10 best customers by revenue this year",
        ],
        &[
            "top 5 customers by revenue this year",
            "top 10 customers by revenue last year",
        ],
    ),
    (
        "revenue by channel last year",
        &[
            "last year's revenue per channel",
            "sales by channel last year",
        ],
        &[
            "revenue by channel this year",
            "orders by channel last year",
        ],
    ),
    (
        "daily revenue for the last 7 days",
        &[
            "revenue per day for the last 7 days",
            "revenue by day, last 7 days",
        ],
        &[
            "daily revenue for the last 30 days",
            "daily profit for the last 7 days",
        ],
    ),
    (
        "what is our best selling product",
        &["which product sells best", "our best selling product"],
        &[
            "what is our worst selling product",
            "what is our best selling category",
        ],
    ),
    (
        "revenue for the West region this year",
        &[
            "this year's revenue for the West region",
            "West region revenue this year",
        ],
        &[
            "revenue for the East region this year",
            "revenue for the West region last year",
        ],
    ),
    (
        "how many new customers signed up last month",
        &[
            "number of new customers who signed up last month",
            "new customer signups last month",
        ],
        &[
            "how many new customers signed up this month",
            "how many new customers signed up last year",
        ],
    ),
    (
        "profit margin by category",
        &["profit margin per category", "margin by category"],
        &["profit margin by region", "profit by category"],
    ),
    (
        "orders per month in 2025",
        &[
            "number of orders per month in 2025",
            "monthly orders in 2025",
        ],
        &["orders per month in 2024", "orders per week in 2025"],
    ),
];

#[test]
fn local_embedder_paraphrase_recall_on_the_dev_questions_with_no_false_hits() {
    let f = fixture();
    for (q, _, _) in PARAPHRASES {
        f.store(q, NOW);
    }
    let (mut hits, mut total, mut false_hits) = (0, 0, Vec::new());
    let mut missed = Vec::new();
    for (q, paraphrases, near_misses) in PARAPHRASES {
        for p in *paraphrases {
            total += 1;
            match f.lookup_on(p, today(), NOW) {
                (_, Some(reply)) if reply == format!("reply for {q}") => hits += 1,
                (_, Some(reply)) => false_hits.push(format!("{p:?} hit {reply:?}")),
                (_, None) => missed.push(*p),
            }
        }
        for n in *near_misses {
            if let (_, Some(reply)) = f.lookup_on(n, today(), NOW) {
                false_hits.push(format!("{n:?} hit {reply:?}"));
            }
        }
    }
    let recall = f64::from(hits) / f64::from(total);
    eprintln!("local embedder paraphrase recall: {hits}/{total} = {recall:.2}; missed: {missed:?}");
    assert!(
        false_hits.is_empty(),
        "a near-miss or paraphrase was given another question's answer:\n{}",
        false_hits.join("\n")
    );
    assert!(
        recall >= 0.65,
        "paraphrase recall {recall:.2} ({hits}/{total}); missed: {missed:?}"
    );
}

#[test]
fn one_request_keeps_a_bounded_number_of_wordings() {
    let f = fixture();
    let config = CacheConfig::default();
    for i in 0..(BUCKET_LIMIT + 20) {
        let q = format!(
            "which products were bought together most often {}",
            "again ".repeat(usize::try_from(i).unwrap() % 7 + 1)
                + &"x".repeat(usize::try_from(i).unwrap() / 7 + 1)
        );
        let e = LocalEmbedder.embed(&q).unwrap();
        let key = f.key(&q, today());
        f.db.cache_store(
            &Entry {
                key: &key,
                embedding: &e,
                embedder: &LocalEmbedder.id(),
                reply: "r",
                cost_nanos: 10_000_000,
            },
            &config,
            NOW + i,
        )
        .unwrap();
    }
    assert_eq!(
        f.db.cache_stats(NOW).unwrap().entries,
        BUCKET_LIMIT,
        "the oldest wordings went"
    );
}
