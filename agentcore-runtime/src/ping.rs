//! Health (`GET /ping`) and tracked background tasks.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// What `GET /ping` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum PingStatus {
    /// Ready for work, nothing running in the background.
    Healthy,
    /// Ready, but background work is running: the runtime keeps the session alive.
    HealthyBusy,
}

impl PingStatus {
    /// `"Healthy"` or `"HealthyBusy"`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            PingStatus::Healthy => "Healthy",
            PingStatus::HealthyBusy => "HealthyBusy",
        }
    }
}

impl fmt::Display for PingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of a tracked task ([`App::add_async_task`](crate::App::add_async_task)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

/// A tracked task that completes when dropped ([`App::task_guard`](crate::App::task_guard)).
#[must_use = "the task completes when the guard is dropped"]
pub struct TaskGuard {
    health: Arc<Health>,
    id: TaskId,
}

impl fmt::Debug for TaskGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGuard").field("id", &self.id).finish()
    }
}

impl TaskGuard {
    pub(crate) fn new(health: Arc<Health>, id: TaskId) -> Self {
        Self { health, id }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.health.complete(self.id);
    }
}

/// The tracked tasks running now ([`App::async_task_info`](crate::App::async_task_info)).
#[derive(Debug, Clone, Serialize)]
pub struct AsyncTaskInfo {
    /// How many tasks run.
    pub active_count: usize,
    /// Each running task.
    pub running_jobs: Vec<RunningJob>,
}

/// One running task.
#[derive(Debug, Clone, Serialize)]
pub struct RunningJob {
    /// The name it was registered with.
    pub name: String,
    /// Seconds since it started.
    pub duration: f64,
}

type PingHandler = Arc<dyn Fn() -> PingStatus + Send + Sync>;

pub(crate) struct Health {
    next_id: AtomicU64,
    state: Mutex<HealthState>,
    ping_handler: Option<PingHandler>,
}

struct HealthState {
    tasks: HashMap<TaskId, (String, Instant)>,
    forced: Option<PingStatus>,
    last_status: PingStatus,
    last_update: u64,
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Health {
    pub(crate) fn new(ping_handler: Option<PingHandler>) -> Self {
        Self {
            next_id: AtomicU64::new(1),
            state: Mutex::new(HealthState {
                tasks: HashMap::new(),
                forced: None,
                last_status: PingStatus::Healthy,
                last_update: now_epoch(),
            }),
            ping_handler,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HealthState> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn status(&self) -> PingStatus {
        self.status_and_time().0
    }

    pub(crate) fn status_and_time(&self) -> (PingStatus, u64) {
        // The custom handler runs outside the lock (it may call back into the app).
        let forced = self.lock().forced;
        let custom = if forced.is_none() {
            self.ping_handler.as_ref().and_then(|h| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h()))
                    .ok()
                    .or_else(|| {
                        tracing::warn!("custom ping handler panicked, falling back to automatic");
                        None
                    })
            })
        } else {
            None
        };
        let mut state = self.lock();
        let status = forced.or(custom).unwrap_or(if state.tasks.is_empty() {
            PingStatus::Healthy
        } else {
            PingStatus::HealthyBusy
        });
        if status != state.last_status {
            state.last_status = status;
            state.last_update = now_epoch();
        }
        (status, state.last_update)
    }

    pub(crate) fn force(&self, status: Option<PingStatus>) {
        self.lock().forced = status;
    }

    pub(crate) fn add(&self, name: String) -> TaskId {
        let id = TaskId(self.next_id.fetch_add(1, Ordering::Relaxed));
        tracing::info!(task = %name, id = id.0, "async task started");
        self.lock().tasks.insert(id, (name, Instant::now()));
        self.status();
        id
    }

    pub(crate) fn complete(&self, id: TaskId) -> bool {
        let removed = self.lock().tasks.remove(&id);
        match removed {
            Some((name, started)) => {
                tracing::info!(
                    task = %name,
                    id = id.0,
                    duration = started.elapsed().as_secs_f64(),
                    "async task completed"
                );
                self.status();
                true
            }
            None => {
                tracing::warn!(id = id.0, "attempted to complete an unknown task");
                false
            }
        }
    }

    pub(crate) fn info(&self) -> AsyncTaskInfo {
        let state = self.lock();
        AsyncTaskInfo {
            active_count: state.tasks.len(),
            running_jobs: state
                .tasks
                .values()
                .map(|(name, started)| RunningJob {
                    name: name.clone(),
                    duration: started.elapsed().as_secs_f64(),
                })
                .collect(),
        }
    }
}
