//! Code generation by an LLM: providers ([`provider`]), the prompt ([`prompt`]) and which column
//! values it may carry ([`privacy`]), output repair ([`repair`]) and prices ([`prices`]). The
//! pipeline calls [`generate`]-style steps through the [`provider::LlmProvider`] seam; tests run
//! the real client against loopback servers.

pub mod prices;
pub mod privacy;
pub mod prompt;
pub mod provider;
pub mod repair;
