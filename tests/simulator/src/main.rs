//! `mspkit-sim`: prints one JSON line (URLs and credentials), then serves until SIGTERM,
//! Ctrl-C, end of stdin or `--exit-after`.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use mspkit_sim::config::{parse_args, Command, USAGE};
use mspkit_sim::{credentials, server, Sim};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(Command::Run(config)) => *config,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("mspkit-sim: {problem}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mspkit-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: mspkit_sim::Config) -> ExitCode {
    let listener = match server::bind(config.port).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "mspkit-sim: cannot listen on 127.0.0.1:{}: {e}",
                config.port
            );
            return ExitCode::FAILURE;
        }
    };
    let origin = match listener.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(e) => {
            eprintln!("mspkit-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (watch_stdin, exit_after) = (config.watch_stdin, config.exit_after_secs);
    let sim = Sim::new(config);
    let line = credentials::startup_line(&sim.credentials, &origin);
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);

    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    if watch_stdin {
        // A parent that dies (or closes our stdin) takes the simulator with it.
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = closed_tx.send(());
        });
    }
    let stdin_closed = async {
        if watch_stdin {
            let _ = closed_rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let deadline = async {
        match exit_after {
            Some(secs) => tokio::time::sleep(Duration::from_secs_f64(secs)).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        result = server::serve(listener, sim) => {
            if let Err(e) = result {
                eprintln!("mspkit-sim: {e}");
                return ExitCode::FAILURE;
            }
        }
        _ = terminate() => {}
        _ = stdin_closed => {}
        _ = deadline => {}
    }
    ExitCode::SUCCESS
}

async fn terminate() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
