//! End-to-end tests of every endpoint but tus (`tus.rs` and `interop.rs` cover that), over real HTTP
//! against the real server with its real SQLite database and files: each happy path, and for each bad
//! input the exact status and error code plus proof that nothing was left behind (no File object, no
//! blob, no temp file, no spent token). Every response is also checked for leaked secrets
//! ([`mediasaur_e2e::api_client::Api::send`]).
//!
//! One test binary, one module per area, shared helpers in `mediasaur_e2e::api_client`.

mod basics;
mod downloads;
mod files;
mod jwt;
mod multipart;
mod multipart_refusals;
mod signatures;
mod signed_put;
mod tokens;
