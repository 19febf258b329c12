//! mspkit-sim: a fake Kaseya VSA X, Kaseya VSA 9 (REST and Data Warehouse) and Autotask
//! PSA on 127.0.0.1, built from VENDORS.md: the real auth checks, envelopes, paging,
//! limits and errors, plus injected faults and counters for tests and benchmarks.
//!
//! Run it as a binary (`mspkit-sim --help`) or, from Rust tests, with [`start`].

pub mod config;
pub mod control;
pub mod credentials;
pub mod data;
pub mod faults;
pub mod http;
pub mod limits;
pub mod query;
pub mod router;
pub mod server;
pub mod sim;
pub mod stats;
pub mod timefmt;
pub mod vendors;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::Config;
pub use sim::Sim;

/// A simulator serving on its own runtime thread; it stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub sim: Arc<Sim>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The startup line a binary would print.
    pub fn startup_line(&self) -> serde_json::Value {
        credentials::startup_line(&self.sim.credentials, &self.origin())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a simulator on a background thread (for tests and benchmarks).
pub fn start(config: Config) -> std::io::Result<Running> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(server::bind(config.port))?;
    let addr = listener.local_addr()?;
    let sim = Sim::new(config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = sim.clone();
    let thread = std::thread::Builder::new()
        .name("mspkit-sim".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    _ = server::serve(listener, serving) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        })?;
    Ok(Running {
        addr,
        sim,
        stop: Some(stop),
        thread: Some(thread),
    })
}
