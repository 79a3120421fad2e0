//! A per-user limit on questions: at most `max` in any `window`, so one person cannot keep
//! the bot busy for everyone else.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window: Duration,
    seen: Mutex<HashMap<u64, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> RateLimiter {
        RateLimiter {
            max: max.max(1),
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a question from `user` at `now`; `Err(wait)` when over the limit, with how long
    /// until the next one is allowed (the refused question does not count).
    pub fn check(&self, user: u64, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            // forget users whose questions are all out of the window
            seen.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_in_ten_seconds() {
        let limiter = RateLimiter::new(5, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(limiter.check(1, t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = limiter.check(1, t0 + Duration::from_secs(5)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(5));
        assert!(
            limiter.check(2, t0 + Duration::from_secs(5)).is_ok(),
            "per user"
        );
        assert!(
            limiter.check(1, t0 + Duration::from_secs(10)).is_ok(),
            "the window moves"
        );
    }
}
