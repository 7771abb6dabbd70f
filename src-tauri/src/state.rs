//! What the shell keeps for the app's lifetime: the core's session, the UI's event channels and
//! when the process started (for the first-paint figure).

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use mediasaur::session::{Session, SessionEvent};
use tauri::ipc::Channel;

/// Managed by Tauri (`app.manage`); commands reach it through `State<AppState>`.
pub struct AppState {
    /// The core.
    pub session: Session,
    /// When `run` began.
    pub started: Instant,
    subscribers: Mutex<Vec<Channel<SessionEvent>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("session", &self.session)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State around an open session.
    pub fn new(session: Session, started: Instant) -> Self {
        Self {
            session,
            started,
            subscribers: Mutex::new(Vec::new()),
        }
    }

    /// Adds a UI channel; every later event is sent to it.
    pub fn subscribe(&self, channel: Channel<SessionEvent>) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(channel);
    }

    /// Sends `event` to every UI channel, dropping channels whose page went away (a reload).
    pub fn broadcast(&self, event: &SessionEvent) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|channel| channel.send(event.clone()).is_ok());
    }
}
