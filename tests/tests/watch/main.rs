//! Watched folders against the real file system and a real SQLite database: files are queued once
//! they are finished and exactly once each (pieces, renames into place, bursts, scans on start),
//! and never when ignored, already uploaded, outside the watch's reach, or while paused.

mod support;

mod control;
mod finishing;
mod reach;
mod scanning;
mod uploads;
