//! Events from a channel, kept as they arrive, so a test can wait for one and still look at all.

use std::fmt::Debug;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

/// Every event received so far, and the channel the next ones come from.
#[derive(Debug)]
pub struct EventLog<T> {
    rx: UnboundedReceiver<T>,
    patience: Duration,
    /// Events received so far, in order.
    pub seen: Vec<T>,
}

impl<T: Clone + Debug> EventLog<T> {
    /// A log of `rx`; waits give up (panicking) after `patience`.
    pub fn new(rx: UnboundedReceiver<T>, patience: Duration) -> Self {
        Self {
            rx,
            patience,
            seen: Vec::new(),
        }
    }

    /// Takes in whatever has arrived.
    pub fn drain(&mut self) -> &[T] {
        while let Ok(event) = self.rx.try_recv() {
            self.seen.push(event);
        }
        &self.seen
    }

    /// Waits for an event (new or already seen) matching `wanted`, and returns it.
    pub async fn wait_for(&mut self, what: &str, wanted: impl Fn(&T) -> bool) -> T {
        if let Some(found) = self.seen.iter().find(|e| wanted(e)) {
            return found.clone();
        }
        let deadline = tokio::time::Instant::now() + self.patience;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(event)) => {
                    self.seen.push(event.clone());
                    if wanted(&event) {
                        return event;
                    }
                }
                Ok(None) => panic!("the events ended before {what}: {:#?}", self.seen),
                Err(_) => panic!("no {what} came: {:#?}", self.seen),
            }
        }
    }

    /// Waits until the sender is gone, keeping what still arrives.
    pub async fn closed(&mut self) {
        loop {
            match tokio::time::timeout(self.patience, self.rx.recv()).await {
                Ok(Some(event)) => self.seen.push(event),
                Ok(None) => return,
                Err(_) => panic!("the events did not end: {:#?}", self.seen),
            }
        }
    }
}
