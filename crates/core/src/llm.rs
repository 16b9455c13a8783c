//! Code generation by an LLM: providers, prompts, output repair.

pub mod repair;
