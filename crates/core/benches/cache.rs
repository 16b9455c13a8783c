//! The answer cache: `cargo bench -p plainsight-core --bench cache`.
//!
//! - `ask_uncached` / `ask_cached`: one AI question through the whole pipeline (plan, route,
//!   cache, budget, provider, repair, guard, executor, chart) against a loopback Perplexity server
//!   that answers after a realistic 800 ms, without the cache and answered from it (the cached
//!   code still runs on the data). Goal from issue 9: the hit ≥ 20× faster.
//! - `semantic_lookup` at 1,000 and 100,000 cached answers: a paraphrase's full lookup (exact
//!   miss, embedding, bucket scan, cosine). Entries are what an analyst's cache holds: questions
//!   over measures × groupings × periods × values × ranks, plus named stores. Goal: the 100k
//!   lookup ≤ 3× the 1k lookup.
//! - `one_bucket_lookup`: the worst case, every entry with the same slots (one bucket): a bucket
//!   keeps at most `cache::BUCKET_LIMIT` wordings, so this too stays flat.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use divan::Bencher;
use plainsight_core::cache::embed::{Embedder, LocalEmbedder};
use plainsight_core::cache::{CacheConfig, CacheKey, Entry};
use plainsight_core::history::AppDb;
use plainsight_core::llm::provider::{HttpProvider, ProviderConfig, ProviderKind};
use plainsight_core::planner::Planner;
use plainsight_core::secret::Secret;
use plainsight_core::{AiMode, Pipeline, PipelineOptions};
use plainsight_loopback::perplexity::{self, AgentUsage};
use plainsight_loopback::Server;

fn main() {
    divan::main();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
}

const QUESTION: &str = "which products were bought together most often?";
const SQL: &str = "SELECT a.product_id AS first_product, b.product_id AS second_product, COUNT(*) AS orders_together FROM order_items a JOIN order_items b ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 ORDER BY orders_together DESC LIMIT 5";

struct World {
    _dir: tempfile::TempDir,
    shop: PathBuf,
    app_db: PathBuf,
    server: Server,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = dir.path().join("shop.sqlite");
        plainsight_core::sample::write_sample_db(&shop, today(), plainsight_core::sample::DEFAULT_ORDERS).expect("sample");
        let server = Server::start();
        let reply = serde_json::json!({"kind": "answer", "language": "sql", "code": SQL, "explanation": "Pairs of products.", "chart_hint": "bar", "assumptions": []}).to_string();
        server.handle(move |_| Some(perplexity::agent_ok(&reply, AgentUsage::new(2_400, 90, 0.0024, 0.00009, 0.0)).after(Duration::from_millis(800))));
        World { app_db: dir.path().join("plainsight.sqlite"), shop, server, _dir: dir }
    })
}

fn pipeline(cache: bool) -> Pipeline {
    let w = world();
    let mut config = ProviderConfig::new(ProviderKind::Perplexity);
    config.base_url = w.server.url();
    config.api_key = Some(Secret::new("pplx-bench-key-0000"));
    let options = PipelineOptions {
        ai: AiMode::Always,
        app_db: Some(w.app_db.clone()),
        cache: cache.then(CacheConfig::default),
        ..PipelineOptions::default()
    };
    Pipeline::open(&w.shop, options)
        .expect("pipeline")
        .with_llm(Arc::new(HttpProvider::new(config).expect("client")))
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ask_uncached(bencher: Bencher) {
    let p = pipeline(false);
    bencher.bench_local(|| {
        let a = p.ask(QUESTION, today(), None).expect("answer");
        assert!(a.cache.is_none() && !a.rows.is_empty());
    });
}

#[divan::bench(sample_count = 50)]
fn ask_cached(bencher: Bencher) {
    let p = pipeline(true);
    p.ask(QUESTION, today(), None)
        .expect("the first ask fills the cache");
    bencher.bench_local(|| {
        let a = p.ask(QUESTION, today(), None).expect("answer");
        assert_eq!(a.cache.as_deref(), Some("exact"));
    });
}

fn planner() -> &'static Planner {
    static P: OnceLock<Planner> = OnceLock::new();
    P.get_or_init(|| {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory db");
        plainsight_core::sample::generate(&mut conn, today(), 200).expect("sample");
        Planner::new(
            &plainsight_core::schema::introspect(&conn).expect("schema"),
            plainsight_core::source::Dialect::Sqlite,
        )
    })
}

/// `n` distinct questions an analyst might have asked the AI over time.
fn questions(n: usize) -> Vec<String> {
    let measures = [
        "revenue",
        "profit",
        "units sold",
        "orders",
        "average order value",
        "new customers",
        "refunds",
    ];
    let groupings = [
        "by region",
        "by category",
        "by channel",
        "by segment",
        "by product",
        "by customer",
        "per month",
        "per week",
    ];
    let periods = [
        "this month",
        "last month",
        "this year",
        "last year",
        "last quarter",
        "in 2025",
        "in 2024",
        "last 30 days",
        "in March 2026",
        "since June",
    ];
    let extras = [
        "",
        " top 5",
        " top 10",
        " for the West region",
        " for online customers",
        " not online",
    ];
    let mut out = Vec::with_capacity(n);
    let mut store = 0;
    'fill: loop {
        for m in measures {
            for g in groupings {
                for p in periods {
                    for e in extras {
                        if out.len() == n {
                            break 'fill;
                        }
                        let named = if store == 0 {
                            String::new()
                        } else {
                            format!(" at \"Store {store}\"")
                        };
                        out.push(format!("{m} {g} {p}{e}{named}"));
                    }
                }
            }
        }
        store += 1;
    }
    out
}

fn key(q: &str) -> CacheKey {
    CacheKey::new(
        q,
        planner().slots(q, today()),
        "fingerprint",
        "perplexity/sonar",
        "v1",
        "shop.sqlite",
    )
}

/// An app database holding `questions` as cached answers.
fn filled(questions: &[String]) -> (tempfile::TempDir, AppDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = AppDb::open(&dir.path().join("plainsight.sqlite")).expect("db");
    let config = CacheConfig {
        max_entries: 1_000_000,
        ttl: Duration::from_secs(86_400),
        ..CacheConfig::default()
    };
    let embedder = LocalEmbedder.id();
    for q in questions {
        let k = key(q);
        let e = LocalEmbedder.embed(q).expect("embedding");
        db.cache_store(
            &Entry {
                key: &k,
                embedding: &e,
                embedder: &embedder,
                reply: "{}",
                cost_nanos: 3_000_000,
            },
            &config,
            NOW,
        )
        .expect("store");
    }
    (dir, db)
}

const NOW: i64 = 1_795_000_000;

/// One lookup as the pipeline does it: the exact layer misses, then the question is embedded and
/// its bucket scanned.
fn lookup(db: &AppDb, q: &str) -> bool {
    let k = key(q);
    if db.cache_exact(&k, NOW).expect("exact").is_some() {
        return true;
    }
    let e = LocalEmbedder.embed(q).expect("embedding");
    db.cache_semantic(&k, &e, &LocalEmbedder.id(), 0.8, NOW)
        .expect("semantic")
        .is_some()
}

#[divan::bench(args = [1_000, 100_000], sample_count = 200)]
fn semantic_lookup(bencher: Bencher, n: usize) {
    let (_dir, db) = filled(&questions(n));
    // A paraphrase of a cached question (its words reordered), so the semantic layer answers.
    let paraphrase = "by region revenue last month for the West region";
    assert!(lookup(&db, paraphrase), "the paraphrase hits");
    bencher.bench_local(|| lookup(&db, paraphrase));
}

#[divan::bench(args = [1_000, 10_000], sample_count = 50)]
fn one_bucket_lookup(bencher: Bencher, n: usize) {
    // Every entry differs only in wording: the same slots, so one bucket holds them all.
    let fillers = [
        "please", "kindly", "now", "quickly", "again", "today", "here", "there", "also", "just",
    ];
    let qs: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "which products were bought together most often {} {}",
                fillers[i % 10],
                fillers[(i / 10) % 10].repeat(1 + i / 100)
            )
        })
        .collect();
    let (_dir, db) = filled(&qs);
    bencher.bench_local(|| lookup(&db, "which products are most often bought together"));
}
