//! Password guessing limited per account, across every IP: after `limit` sign-in attempts for
//! one email that did not succeed within `window`, that email's password sign-ins are refused
//! until the window ends, exactly alike whether the account exists or not.
//!
//! An attempt is counted *before* its password is checked, and given back only when it
//! succeeds, so a burst of concurrent guesses cannot all slip in before the first failure is
//! recorded. Emails are kept as keyed hashes (a random key per process), so memory per
//! account is constant whatever an attacker sends.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept (then twice the live count).
const FIRST_SWEEP_AT: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    attempts: u32,
}

#[derive(Debug)]
struct Accounts {
    windows: HashMap<u64, Window>,
    sweep_at: usize,
}

/// Sign-in attempts per account that have not succeeded, in this replica's memory.
#[derive(Debug, Clone)]
pub struct FailedLogins {
    /// `0`: off.
    limit: u32,
    window: Duration,
    hasher: RandomState,
    accounts: Arc<Mutex<Accounts>>,
}

impl Default for FailedLogins {
    /// 10 attempts that do not succeed per 15 minutes.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(15 * 60))
    }
}

/// An attempt counted against an account; [`Self::succeeded`] gives it back.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    logins: FailedLogins,
    account: u64,
}

impl Attempt {
    /// The password was right: the attempt does not count as a failure.
    pub fn succeeded(self) {
        let mut accounts = self.logins.lock();
        if let Some(window) = accounts.windows.get_mut(&self.account) {
            window.attempts = window.attempts.saturating_sub(1);
        }
    }
}

impl FailedLogins {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            hasher: RandomState::new(),
            accounts: Arc::new(Mutex::new(Accounts {
                windows: HashMap::new(),
                sweep_at: FIRST_SWEEP_AT,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Accounts> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts an attempt for `email` (already normalised), or refuses it with the time until
    /// the account's window ends.
    pub fn begin(&self, email: &str) -> Result<Attempt, Duration> {
        self.begin_at(email, Instant::now())
    }

    fn begin_at(&self, email: &str, now: Instant) -> Result<Attempt, Duration> {
        let account = self.hasher.hash_one(email);
        let attempt = Attempt { logins: self.clone(), account };
        if self.limit == 0 {
            return Ok(attempt);
        }
        let mut accounts = self.lock();
        if accounts.windows.len() >= accounts.sweep_at {
            let window = self.window;
            accounts.windows.retain(|_, kept| now.duration_since(kept.started) < window);
            accounts.sweep_at = (accounts.windows.len() * 2).max(FIRST_SWEEP_AT);
        }
        let entry = accounts.windows.entry(account).or_insert(Window { started: now, attempts: 0 });
        let elapsed = now.duration_since(entry.started);
        if elapsed >= self.window {
            *entry = Window { started: now, attempts: 0 };
        } else if entry.attempts >= self.limit {
            return Err(self.window.saturating_sub(elapsed));
        }
        entry.attempts += 1;
        Ok(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_unsuccessful_attempt_in_the_window_is_refused_until_it_ends() {
        let logins = FailedLogins::new(10, Duration::from_secs(900));
        for _ in 0..10 {
            drop(logins.begin("ada@example.com").unwrap());
        }
        let wait = logins.begin("ada@example.com").unwrap_err();
        assert!(wait > Duration::from_secs(890) && wait <= Duration::from_secs(900), "{wait:?}");
        // Another account is untouched.
        assert!(logins.begin("grace@example.com").is_ok());
    }

    #[test]
    fn successful_attempts_do_not_count_as_failures() {
        let logins = FailedLogins::new(3, Duration::from_secs(900));
        for _ in 0..20 {
            logins.begin("ada@example.com").unwrap().succeeded();
        }
        assert!(logins.begin("ada@example.com").is_ok());
    }

    #[test]
    fn attempts_in_flight_count_before_their_password_is_checked() {
        let logins = FailedLogins::new(2, Duration::from_secs(900));
        let first = logins.begin("ada@example.com").unwrap();
        let second = logins.begin("ada@example.com").unwrap();
        assert!(logins.begin("ada@example.com").is_err());
        first.succeeded();
        drop(second);
        assert!(logins.begin("ada@example.com").is_ok());
    }

    #[test]
    fn a_new_window_starts_once_the_old_one_has_passed() {
        let logins = FailedLogins::new(1, Duration::from_secs(900));
        let start = Instant::now();
        drop(logins.begin_at("ada@example.com", start).unwrap());
        let almost = start + Duration::from_secs(899);
        assert_eq!(logins.begin_at("ada@example.com", almost).unwrap_err(), Duration::from_secs(1));
        let after = start + Duration::from_secs(900);
        assert!(logins.begin_at("ada@example.com", after).is_ok());
    }

    #[test]
    fn memory_stays_bounded_by_the_accounts_seen_within_a_window() {
        let logins = FailedLogins::new(10, Duration::ZERO);
        for number in 0..10 * FIRST_SWEEP_AT {
            drop(logins.begin(&format!("user{number}@example.com")).unwrap());
        }
        assert!(logins.lock().windows.len() <= FIRST_SWEEP_AT);
    }

    #[test]
    fn a_limit_of_zero_switches_the_throttle_off() {
        let logins = FailedLogins::new(0, Duration::from_secs(900));
        for _ in 0..100 {
            drop(logins.begin("ada@example.com").unwrap());
        }
    }
}
