//! End-to-end tests of the `mediasaur` binary against a real server on a loopback port, with API
//! keys in the real Secret Service (the private gnome-keyring `scripts/test` starts).
//!
//! Every test runs the CLI with its own profiles directory and keyring service and with
//! `MEDIASAUR_LOG=trace`, and ends by checking that the API key appears nowhere in anything the CLI
//! printed or wrote.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/errors.rs"]
mod errors;
#[path = "cli/files.rs"]
mod files;
#[path = "cli/history.rs"]
mod history;
#[path = "cli/leaks.rs"]
mod leaks;
#[path = "cli/login.rs"]
mod login;
#[path = "cli/queue.rs"]
mod queue;
#[path = "cli/sign.rs"]
mod sign;
#[path = "cli/upload.rs"]
mod upload;
#[path = "cli/watch.rs"]
mod watch;
