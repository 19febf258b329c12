//! The simulator's shared state: data, limits, sessions, faults and counters behind one
//! lock. Handlers hold the lock only to decide; responses are built outside it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::config::Config;
use crate::credentials::Credentials;
use crate::data::{self, Dataset};
use crate::faults::Faults;
use crate::limits::failed::FailedRequestGuard;
use crate::limits::RateLimits;
use crate::stats::Stats;

/// A VSA 9 session handed out by /auth.
#[derive(Debug, Clone)]
pub struct Session {
    pub username: String,
    pub expires: Instant,
    pub expires_wall: std::time::SystemTime,
}

pub struct State {
    pub config: Config,
    pub data: Arc<Dataset>,
    pub rates: RateLimits,
    pub failed: FailedRequestGuard,
    pub faults: Faults,
    pub stats: Stats,
    pub sessions: HashMap<String, Session>,
    /// Autotask requests in flight per integration code and entity.
    pub autotask_threads: HashMap<String, u32>,
    /// Autotask next-page links handed out: paging parameter → method of the query.
    pub autotask_links: HashMap<String, String>,
    pub session_counter: u64,
}

impl State {
    fn new(config: Config, data: Arc<Dataset>) -> Self {
        State {
            rates: RateLimits::new(&config.limits, config.time_scale),
            failed: FailedRequestGuard::new(
                config
                    .limits
                    .windows
                    .get("vsax.failed")
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
                config.time_scale,
            ),
            faults: Faults::new(&config.faults, config.seed),
            stats: Stats::default(),
            sessions: HashMap::new(),
            autotask_threads: HashMap::new(),
            autotask_links: HashMap::new(),
            session_counter: 0,
            data,
            config,
        }
    }
}

pub type SharedState = Mutex<State>;

pub struct Sim {
    pub startup: Config,
    pub credentials: Credentials,
    pub started: Instant,
    state: Arc<SharedState>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").finish_non_exhaustive()
    }
}

impl Sim {
    pub fn new(config: Config) -> Arc<Sim> {
        let credentials = Credentials::generate(config.seed, config.sentinel.as_deref());
        let dataset = Arc::new(data::generate(config.seed, &config.counts));
        Arc::new(Sim {
            startup: config.clone(),
            credentials,
            started: Instant::now(),
            state: Arc::new(Mutex::new(State::new(config, dataset))),
        })
    }

    /// The state, even if a handler panicked while holding it (counters stay usable).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets every window, block, session, fault position and counter and applies
    /// `config`; the data is generated again only when its seed or sizes changed.
    pub fn reset(&self, config: Config) {
        let mut state = self.lock();
        let data = if state.config.seed == config.seed && state.config.counts == config.counts {
            state.data.clone()
        } else {
            Arc::new(data::generate(config.seed, &config.counts))
        };
        *state = State::new(config, data);
    }

    /// The state itself, for guards that must outlive a borrow of the simulator.
    pub fn state_handle(&self) -> Arc<SharedState> {
        self.state.clone()
    }

    pub fn data(&self) -> Arc<Dataset> {
        self.lock().data.clone()
    }

    pub fn time_scale(&self) -> f64 {
        self.lock().config.time_scale
    }
}
