//! One module per group of commands; each takes the shared `Context` and its own clap arguments.

pub mod files;
pub mod history;
pub mod login;
pub mod queue;
pub mod share;
pub mod sign;
pub mod upload;
pub mod watch;
