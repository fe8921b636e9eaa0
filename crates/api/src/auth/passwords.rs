//! bcrypt on dedicated low-priority threads, one fewer than the CPUs (at least one).
//!
//! Hashing at cost 12 takes a quarter of a second of a core. Running it on its own threads at
//! the lowest scheduling priority means a burst of logins uses idle CPU, but never takes a core
//! away from request handling: reads keep their latency, logins queue.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::oneshot;

use crate::ApiError;

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords off the async workers.
#[derive(Debug, Clone)]
pub struct Passwords {
    cost: u32,
    jobs: Sender<Job>,
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
        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for number in 0..cpus.saturating_sub(1).max(1) {
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

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost)).await?.map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash (unknown email) it verifies against
    /// the dummy hash and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
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
    ) -> Result<T, ApiError> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        self.jobs.send(job).map_err(|_| ApiError::internal("password hashing threads are gone"))?;
        result.await.map_err(|_| ApiError::internal("a password hashing job was dropped"))
    }
}
