//! bcrypt on dedicated low-priority threads, one fewer than the CPUs (at least one).
//!
//! Hashing at cost 12 takes a quarter of a second of a core. Running it on its own threads at
//! the lowest scheduling priority means a burst of logins uses idle CPU, but never takes a core
//! away from request handling: reads keep their latency, logins queue. The queue is bounded:
//! when it is full a sign-in is answered 503 with `Retry-After` at once, instead of waiting
//! past the request timeout for a hash nobody will read; and a job whose request has given up
//! meanwhile (timed out, client gone) is skipped, not hashed.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::oneshot;

use crate::error::AppError;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs that may wait per hashing thread: at cost 12 (~250 ms each) the last one waits about
/// 4 s, well inside the 15 s request timeout.
const QUEUED_PER_THREAD: usize = 16;

/// Hashes and verifies passwords off the async workers.
#[derive(Debug, Clone)]
pub struct Passwords {
    cost: u32,
    jobs: SyncSender<Job>,
    /// Verified against when the email is unknown, so both failures take the same time.
    /// Made on first use: hashing at cost 12 would add a quarter second to start-up.
    dummy_hash: Arc<OnceLock<String>>,
}

/// Only idle CPU goes to hashing: on Linux the idle scheduling class (a niced thread still
/// took enough time slices to add ~100 ms to the p99 of reads during a burst of logins),
/// elsewhere the lowest priority. Failing to lower it is not fatal.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
            thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let lowered = set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            idle,
        );
        if lowered.is_ok() {
            return;
        }
    }
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
}

fn hashing_thread(jobs: Arc<Mutex<Receiver<Job>>>) {
    lower_priority();
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return, // every sender is gone: the server is shutting down
        }
    }
}

impl Passwords {
    pub fn new(cost: u32) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = cpus.saturating_sub(1).max(1);
        Self::with_threads(cost, threads, threads * QUEUED_PER_THREAD)
    }

    fn with_threads(cost: u32, threads: usize, queue: usize) -> Self {
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for number in 0..threads {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("bcrypt-{number}"))
                .spawn(move || hashing_thread(receiver));
            if let Err(error) = spawned {
                log::error!("cannot start a password hashing thread: {error}");
            }
        }
        Self { cost, jobs, dummy_hash: Arc::default() }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost)).await?.map_err(AppError::internal)
    }

    /// Whether `password` matches `hash`; with no hash (unknown email) it verifies against
    /// the dummy hash and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let (dummy, cost) = (Arc::clone(&self.dummy_hash), self.cost);
        let matched = self
            .run(move || {
                let hash = hash.unwrap_or_else(|| {
                    dummy
                        .get_or_init(|| bcrypt::hash("dummy password 0", cost).unwrap_or_default())
                        .clone()
                });
                bcrypt::verify(password, &hash)
            })
            .await?;
        Ok(known && matched.unwrap_or(false))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The request gave up while this job queued: nobody reads the answer.
            if !reply.is_closed() {
                let _ = reply.send(work());
            }
        });
        self.jobs.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => AppError::Unavailable(
                "Too many sign-ins are being checked right now; try again in a few seconds.".into(),
            ),
            TrySendError::Disconnected(_) => {
                AppError::internal("password hashing threads are gone")
            }
        })?;
        result.await.map_err(|_| AppError::internal("a password hashing job was dropped"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    /// One thread held busy by a job that waits for the returned sender to be dropped.
    async fn busy_passwords(queue: usize) -> (Passwords, std::sync::mpsc::Sender<()>) {
        let passwords = Passwords::with_threads(4, 1, queue);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let blocker = passwords.clone();
        tokio::spawn(async move {
            blocker
                .run(move || {
                    let _ = started.send(());
                    let _ = gate.recv();
                })
                .await
        });
        running.await.unwrap();
        (passwords, release)
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_as_unavailable() {
        let (passwords, release) = busy_passwords(3).await;
        for _ in 0..3 {
            passwords.jobs.try_send(Box::new(|| {})).unwrap();
        }
        let refused = passwords.run(|| 2).await.unwrap_err();
        assert!(matches!(refused, AppError::Unavailable(_)), "{refused:?}");
        drop(release);
    }

    #[tokio::test]
    async fn a_job_whose_request_gave_up_is_skipped_not_run() {
        let (passwords, release) = busy_passwords(4).await;
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let abandoned = passwords.run(move || flag.store(true, Ordering::SeqCst));
        assert!(tokio::time::timeout(Duration::from_millis(10), abandoned).await.is_err());
        drop(release);
        // One thread takes jobs in order: once a later job is answered, the abandoned one
        // has been taken and skipped.
        assert_eq!(passwords.run(|| 3).await.unwrap(), 3);
        assert!(!ran.load(Ordering::SeqCst));
    }
}
