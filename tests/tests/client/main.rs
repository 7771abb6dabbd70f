//! The client core (`crates/mediasaur`) against the real server over loopback HTTP: every upload
//! strategy, resuming after a cut connection, pause/resume/cancel, limits, and bad input.

mod support;

mod bad_input;
mod control;
mod keyring;
mod limits;
mod resume;
mod review;
mod strategies;
mod tokens;
mod tus_peer;
