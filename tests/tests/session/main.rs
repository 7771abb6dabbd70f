//! The desktop app's UI-free core (`mediasaur::session::Session`) against the real server over
//! loopback HTTP, a real SQLite database and the real Secret Service (`scripts/test`'s private
//! gnome-keyring): first-run setup and keys, dropped folders, bad input, pause/resume/cancel, share
//! links, auto-copy, upload requests, watched folders, settings and deletes, each seen through the
//! session's events as the app sees them.

mod support;

mod control;
mod links;
mod queue;
mod requests;
mod setup;
mod watches;
