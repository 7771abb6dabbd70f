//! One module per group of commands; each takes the shared `Context` and its own clap arguments.

pub mod files;
pub mod login;
pub mod sign;
pub mod upload;
