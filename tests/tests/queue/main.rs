//! The transfer queue runner (`mediasaur::transfers`) against the real server over loopback HTTP and
//! a real SQLite database: every row ends with an honest state, duplicates are skipped by policy,
//! pauses and cancels from another process stop uploads, a crashed runner's upload resumes after its
//! lease, 10,000 queued rows don't get in the way, and two runners never send a file twice.

mod support;

mod control;
mod crash;
mod duplicates;
mod runs;
mod scale;
