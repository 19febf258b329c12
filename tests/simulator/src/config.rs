//! Everything the simulator can be told: at start (command line) and per test
//! (`POST /_sim/reset` with a JSON body of overrides).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::data::Counts;
use crate::faults::FaultRule;
use crate::limits::{parse_duration, LimitSpecs};

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub seed: u64,
    pub counts: Counts,
    /// Simulated seconds per real second: windows, blocks, sessions and Retry-After
    /// values all shrink by this factor.
    pub time_scale: f64,
    pub limits: LimitSpecs,
    pub faults: Vec<FaultRule>,
    /// VSA 9 session lifetime, simulated seconds.
    pub vsa9_session_secs: f64,
    /// Data Warehouse server-driven page size (a client's odata.maxpagesize lowers it).
    pub warehouse_page_size: usize,
    /// Put into every secret, so a scan of captured output can look for it.
    pub sentinel: Option<String>,
    pub cors: bool,
    /// Autotask adds latency past 50% and 75% of its hourly threshold.
    pub autotask_latency: bool,
    pub exit_after_secs: Option<f64>,
    pub watch_stdin: bool,
    /// One stderr line per request (method, path, status; never headers or bodies).
    pub log: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            seed: 1,
            counts: Counts::default(),
            time_scale: 1.0,
            limits: LimitSpecs::documented(),
            faults: Vec::new(),
            vsa9_session_secs: 1800.0,
            warehouse_page_size: 1000,
            sentinel: None,
            cors: true,
            autotask_latency: true,
            exit_after_secs: None,
            watch_stdin: true,
            log: false,
        }
    }
}

pub const USAGE: &str = "\
mspkit-sim: a fake Kaseya VSA X, VSA 9 (REST + Data Warehouse) and Autotask PSA on 127.0.0.1

Prints one JSON line with the URLs and credentials, then serves until SIGTERM, Ctrl-C or
end of stdin.

Options:
  --port N                 port to listen on (0 = any free port; default 0)
  --seed N                 data and fault seed (default 1)
  --size NAME              data preset: small, realistic (default), large
  --count NAME=N           one list's size, e.g. vsax.devices=12000 (repeatable)
  --time-scale N           simulated seconds per real second (default 1)
  --limit NAME=SPEC        override a limit, e.g. vsax.default=100/1m,
                           vsax.failed=5/10s:30s, autotask.threads=off (repeatable)
  --fault JSON             inject a fault, e.g. '{\"kind\":\"status\",\"status\":503,\"rate\":0.1}'
                           (repeatable; see tests/simulator/README.md)
  --vsa9-session SPAN      VSA 9 session lifetime (default 30m)
  --warehouse-page-size N  Data Warehouse page size (default 1000)
  --sentinel TEXT          put TEXT into every generated secret
  --no-cors                send no CORS headers
  --no-autotask-latency    no added latency near the Autotask threshold
  --exit-after SPAN        stop after this long (real time)
  --ignore-stdin           keep running when stdin closes
  --log                    one line per request on stderr
  --help                   this text
";

/// What `parse_args` found: run with a config, or print help.
pub enum Command {
    Run(Box<Config>),
    Help,
}

pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut config = Config::default();
    let mut counts: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--port" => config.port = number(&value(flag)?, flag)?,
            "--seed" => config.seed = number(&value(flag)?, flag)?,
            "--size" => {
                let name = value(flag)?;
                config.counts = Counts::preset(&name).ok_or_else(|| {
                    format!("--size {name}: the sizes are small, realistic, large")
                })?;
            }
            "--count" => counts.push(value(flag)?),
            "--time-scale" => config.time_scale = time_scale(&value(flag)?)?,
            "--limit" => config.limits.apply_override(&value(flag)?)?,
            "--fault" => config.faults.push(FaultRule::parse(&value(flag)?)?),
            "--vsa9-session" => config.vsa9_session_secs = parse_duration(&value(flag)?)?,
            "--warehouse-page-size" => {
                config.warehouse_page_size = page_size(number(&value(flag)?, flag)?)?
            }
            "--sentinel" => config.sentinel = Some(sentinel(&value(flag)?)?),
            "--no-cors" => config.cors = false,
            "--no-autotask-latency" => config.autotask_latency = false,
            "--exit-after" => config.exit_after_secs = Some(parse_duration(&value(flag)?)?),
            "--ignore-stdin" => config.watch_stdin = false,
            "--log" => config.log = true,
            other => return Err(format!("Unknown option \"{other}\" (see --help)")),
        }
    }
    // Counts apply after --size, whatever the order on the command line.
    for text in counts {
        let (name, n) = text
            .split_once('=')
            .ok_or_else(|| format!("--count takes NAME=N, got \"{text}\""))?;
        config
            .counts
            .set(name.trim(), number(n.trim(), "--count")?)?;
    }
    Ok(Command::Run(Box::new(config)))
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{flag}: \"{text}\" is not a valid number"))
}

fn time_scale(text: &str) -> Result<f64, String> {
    number::<f64>(text, "--time-scale")
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.001 && *n <= 1e6)
        .ok_or_else(|| format!("--time-scale: \"{text}\" is not a number from 0.001 to 1000000"))
}

fn page_size(n: usize) -> Result<usize, String> {
    if (1..=100_000).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "A Data Warehouse page size of {n} is outside 1..100000"
        ))
    }
}

fn sentinel(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(text.to_string())
    } else {
        Err("--sentinel takes 1 to 64 letters, digits, '-' or '_'".into())
    }
}

/// The body of `POST /_sim/reset`: every field optional; absent fields return to the
/// values the simulator started with.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub size: Option<String>,
    #[serde(default)]
    pub counts: BTreeMap<String, usize>,
    pub time_scale: Option<f64>,
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
    /// Replaces the startup faults (`[]` removes them).
    pub faults: Option<Vec<FaultRule>>,
    pub vsa9_session: Option<String>,
    pub warehouse_page_size: Option<usize>,
    pub autotask_latency: Option<bool>,
}

impl Overrides {
    /// `startup` with these overrides applied.
    pub fn apply(&self, startup: &Config) -> Result<Config, String> {
        let mut config = startup.clone();
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(size) = &self.size {
            config.counts = Counts::preset(size)
                .ok_or_else(|| format!("size \"{size}\": the sizes are small, realistic, large"))?;
        }
        for (name, n) in &self.counts {
            config.counts.set(name, *n)?;
        }
        if let Some(scale) = self.time_scale {
            config.time_scale = time_scale(&scale.to_string())?;
        }
        for (name, spec) in &self.limits {
            config.limits.set(name, spec)?;
        }
        if let Some(faults) = &self.faults {
            for rule in faults {
                rule.check()?;
            }
            config.faults = faults.clone();
        }
        if let Some(span) = &self.vsa9_session {
            config.vsa9_session_secs = parse_duration(span)?;
        }
        if let Some(n) = self.warehouse_page_size {
            config.warehouse_page_size = page_size(n)?;
        }
        if let Some(on) = self.autotask_latency {
            config.autotask_latency = on;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_build_the_config() {
        let Command::Run(config) = parse_args(&args(
            "--count vsax.devices=7 --size small --time-scale 60 --limit vsax.default=10/1m --seed 9 --vsa9-session 2m",
        ))
        .unwrap() else {
            panic!("expected run")
        };
        assert_eq!(config.counts.vsax_devices, 7, "--count wins over --size");
        assert_eq!(config.time_scale, 60.0);
        assert_eq!(config.seed, 9);
        assert_eq!(config.vsa9_session_secs, 120.0);
        assert_eq!(config.limits.windows["vsax.default"][0].limit, 10);
    }

    #[test]
    fn bad_flags_say_what_to_do() {
        for (text, needle) in [
            ("--port", "needs a value"),
            ("--port x", "not a valid number"),
            ("--size huge", "small, realistic, large"),
            ("--time-scale 0", "0.001"),
            ("--count devices", "NAME=N"),
            ("--sentinel a/b", "letters"),
            ("--frobnicate", "Unknown option"),
        ] {
            let Err(err) = parse_args(&args(text)) else {
                panic!("{text} should fail")
            };
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn overrides_start_from_the_startup_config() {
        let startup = Config::default();
        let o: Overrides = serde_json::from_str(
            r#"{"limits":{"autotask.hourly":"50/1m"},"faults":[{"kind":"reset","at":[1]}],"time_scale":10}"#,
        )
        .unwrap();
        let config = o.apply(&startup).unwrap();
        assert_eq!(config.limits.windows["autotask.hourly"][0].limit, 50);
        assert_eq!(config.faults.len(), 1);
        assert_eq!(config.time_scale, 10.0);
        let kept = Overrides::default().apply(&config).unwrap();
        assert_eq!(kept.faults.len(), 1, "absent = as at start");
        let cleared: Overrides = serde_json::from_str(r#"{"faults":[]}"#).unwrap();
        assert!(cleared.apply(&config).unwrap().faults.is_empty());
        assert!(serde_json::from_str::<Overrides>(r#"{"limts":{}}"#).is_err());
    }
}
