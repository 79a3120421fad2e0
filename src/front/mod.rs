//! The front ends over the engine: the terminal commands, the benchmark, and (with the
//! `discord` feature) the Discord bot. They call only [`crate::engine::Engine`] and render
//! what it returns; [`highlight`] is how each of them marks matched words and the best
//! sentence, with its own escaping.

pub mod bench;
#[cfg(feature = "discord")]
pub mod discord;
mod highlight;
pub mod terminal;
