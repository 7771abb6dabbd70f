//! When to try again: capped, jittered exponential backoff that honours `Retry-After`.

use std::time::Duration;

use rand::Rng;

use crate::error::ClientError;

/// The longest `Retry-After` we honour; a server asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// How a failed request is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Consecutive failed attempts after which an upload gives up (a success resets the count).
    pub max_attempts: u32,
    /// Delay ceiling of the first retry; it doubles per attempt.
    pub base_delay: Duration,
    /// The delay never exceeds this (except for a server's `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1 = the first retry) after `error`: "equal jitter",
    /// uniform in `c/2..=c` with `c = min(max, base·2^(attempt-1))` (spread out, yet never hammering
    /// a struggling server), but at least what `Retry-After` asked for.
    pub fn delay(&self, attempt: u32, error: &ClientError) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay);
        let jittered = rand::thread_rng().gen_range(ceiling / 2..=ceiling);
        match error.retry_after() {
            Some(asked) => jittered.max(asked.min(MAX_RETRY_AFTER)),
            None => jittered,
        }
    }

    /// Whether `error` after `attempt` failed attempts deserves another try.
    pub fn should_retry(&self, attempt: u32, error: &ClientError) -> bool {
        attempt < self.max_attempts && error.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mediasaur_api::ErrorCode;

    fn api(status: u16, code: ErrorCode, retry_after: Option<u64>) -> ClientError {
        ClientError::Api {
            code,
            status,
            message: String::new(),
            request_id: None,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn delays_are_jittered_under_a_doubling_cap_and_honour_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        let error = api(503, ErrorCode::Internal, None);
        let within = |d: Duration, low: u64, high: u64| {
            (Duration::from_millis(low)..=Duration::from_millis(high)).contains(&d)
        };
        for _ in 0..200 {
            assert!(within(policy.delay(1, &error), 50, 100));
            assert!(within(policy.delay(2, &error), 100, 200));
            assert!(within(policy.delay(9, &error), 175, 350));
        }
        let distinct: std::collections::HashSet<_> =
            (0..50).map(|_| policy.delay(3, &error)).collect();
        assert!(distinct.len() > 10, "delays are jittered");
        let slow_down = api(429, ErrorCode::RateLimited, Some(2));
        assert!(policy.delay(1, &slow_down) >= Duration::from_secs(2));
        let absurd = api(503, ErrorCode::Internal, Some(86_400));
        assert_eq!(policy.delay(1, &absurd), MAX_RETRY_AFTER);
    }

    #[test]
    fn retries_only_what_can_succeed() {
        let policy = RetryPolicy::default();
        assert!(policy.should_retry(1, &api(503, ErrorCode::Internal, None)));
        assert!(policy.should_retry(1, &api(423, ErrorCode::UploadLocked, None)));
        assert!(policy.should_retry(1, &api(429, ErrorCode::RateLimited, None)));
        assert!(policy.should_retry(
            1,
            &ClientError::Network {
                endpoint: String::new(),
                message: String::new()
            }
        ));
        assert!(!policy.should_retry(8, &api(503, ErrorCode::Internal, None)));
        for (status, code) in [
            (401, ErrorCode::Unauthorized),
            (403, ErrorCode::TokenUsed),
            (409, ErrorCode::FileExists),
            (413, ErrorCode::FileTooLarge),
            (400, ErrorCode::InvalidPath),
        ] {
            assert!(!policy.should_retry(1, &api(status, code, None)), "{code}");
        }
    }
}
