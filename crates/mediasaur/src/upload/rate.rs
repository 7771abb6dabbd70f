//! A bandwidth limit shared by every upload of a client: a token bucket that upload bodies draw from
//! before each block they send.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How much sending may run ahead of the rate, in seconds of the rate.
const BURST_SECONDS: f64 = 0.25;

/// A shared bytes-per-second limit; `None` means unlimited. Clones share the same bucket.
#[derive(Debug, Clone, Default)]
pub struct BandwidthLimiter {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    rate: Option<u64>,
    /// Bytes that may go out now; negative while senders wait for their reservation.
    balance: f64,
    refilled: Option<Instant>,
    granted: u64,
}

impl BandwidthLimiter {
    /// A limiter at `rate` bytes per second (`None`: unlimited).
    pub fn new(rate: Option<u64>) -> Self {
        let limiter = Self::default();
        limiter.set_rate(rate);
        limiter
    }

    /// Changes the limit; uploads in flight follow from their next block.
    pub fn set_rate(&self, rate: Option<u64>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.rate = rate.filter(|r| *r > 0);
        state.balance = state.balance.min(burst(state.rate));
    }

    /// The current limit.
    pub fn rate(&self) -> Option<u64> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rate
    }

    /// Bytes granted so far.
    pub fn granted(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .granted
    }

    /// The block size senders should use so the limit stays smooth.
    pub fn block_size(&self, unlimited: usize) -> usize {
        match self.rate() {
            // About 20 blocks per second, at least 4 KiB.
            Some(rate) => usize::try_from(rate / 20)
                .unwrap_or(unlimited)
                .clamp(4096, unlimited),
            None => unlimited,
        }
    }

    /// Waits until `bytes` may be sent. Reserves first and sleeps outside the lock, so concurrent
    /// senders queue fairly and the lock is never held across an await.
    pub async fn acquire(&self, bytes: usize) {
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.granted += bytes as u64;
            let Some(rate) = state.rate else {
                return;
            };
            let now = Instant::now();
            let elapsed = state
                .refilled
                .map_or(Duration::ZERO, |then| now.saturating_duration_since(then));
            state.refilled = Some(now);
            state.balance =
                (state.balance + elapsed.as_secs_f64() * rate as f64).min(burst(Some(rate)));
            state.balance -= bytes as f64;
            if state.balance >= 0.0 {
                return;
            }
            Duration::from_secs_f64(-state.balance / rate as f64)
        };
        tokio::time::sleep(wait).await;
    }
}

fn burst(rate: Option<u64>) -> f64 {
    rate.map_or(0.0, |r| r as f64 * BURST_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    // These run on tokio's paused clock: time advances only by the limiter's own sleeps, so the
    // assertions are about how long it makes senders wait, not about this machine's speed.
    #[tokio::test(start_paused = true)]
    async fn senders_sharing_a_limit_together_get_the_rate() {
        let limiter = BandwidthLimiter::new(Some(1_000_000));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..100 {
                    limiter.acquire(10_000).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = start.elapsed().as_secs_f64();
        // 4 MB at 1 MB/s: 4 s less the initial burst allowance (none: the bucket starts empty).
        assert!((3.9..=4.1).contains(&elapsed), "{elapsed}");
        assert_eq!(limiter.granted(), 4_000_000);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits_and_the_rate_can_change() {
        let limiter = BandwidthLimiter::new(None);
        let start = Instant::now();
        limiter.acquire(1 << 30).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.set_rate(Some(100_000));
        limiter.acquire(100_000).await;
        let elapsed = start.elapsed().as_secs_f64();
        assert!((0.99..=1.01).contains(&elapsed), "{elapsed}");
        assert_eq!(limiter.block_size(1 << 20), 5000);
    }
}
