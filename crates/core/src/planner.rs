//! Offline planner (work in progress in this commit).
use chrono::NaiveDate;
use crate::schema::Schema;
pub struct Plan { pub sql: Option<String>, pub confidence: f64, pub interpretation: String, pub wants_change: bool, pub options: Vec<String>, pub message: String, pub title: String }
pub struct Planner;
impl Planner {
    pub fn new(_schema: &Schema) -> Self { Self }
    pub fn plan(&self, _q: &str, _today: NaiveDate) -> Plan { Plan { sql: Some("SELECT region, SUM(revenue) AS revenue FROM sales GROUP BY region".into()), confidence: 0.9, interpretation: String::new(), wants_change: false, options: vec![], message: String::new(), title: "Revenue by region".into() } }
}
