//! Pacing state shared between processes (a cron sync and a manual one, two workers)
//! through `export_state` / `import_state` and whatever store the hosts use.
//!
//! Each process is an *instance* with its own counts and in-flight cap. Counts are bucketed in time, and
//! each event is placed at the END of its bucket, so a merged count never expires earlier
//! than the real one. Merging takes, per instance and bucket, the larger count: an
//! instance's counts only grow, so an older copy never undoes a newer one, and a state
//! that comes back to the process that wrote it is not counted twice.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::limits::EndpointClass;
use super::window::Timeline;
use crate::Error;

/// At most this many other processes are remembered; the stalest are dropped first.
const MAX_INSTANCES: usize = 32;
/// Limits on what an imported state may hold (anything bigger is not ours).
const MAX_BUCKETS: usize = 20_000;
const MAX_COUNT: u64 = 1_000_000;

/// Event counts per time bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Buckets {
    /// Bucket width in ms.
    res: u64,
    /// Bucket index → events; index × res is the bucket's end.
    counts: BTreeMap<u64, u64>,
}

impl Buckets {
    pub fn from_timeline(timeline: &Timeline, res: u64) -> Buckets {
        let res = res.max(1);
        let mut counts = BTreeMap::new();
        for t in timeline.times() {
            *counts.entry(t.div_ceil(res)).or_insert(0) += 1;
        }
        Buckets { res, counts }
    }

    fn timeline(&self) -> Timeline {
        let mut timeline = Timeline::default();
        for (&index, &count) in &self.counts {
            let at = index.saturating_mul(self.res);
            for _ in 0..count {
                timeline.record(at);
            }
        }
        timeline
    }

    fn count_since(&self, since: u64) -> u64 {
        self.counts
            .iter()
            .filter(|(&i, _)| i.saturating_mul(self.res) >= since)
            .map(|(_, &c)| c)
            .sum()
    }

    /// Re-buckets to `res` (rounding up, to stay conservative).
    fn at_resolution(&self, res: u64) -> Buckets {
        if res == self.res || self.res == 0 {
            return Buckets {
                res,
                counts: self.counts.clone(),
            };
        }
        let mut counts = BTreeMap::new();
        for (&index, &count) in &self.counts {
            *counts
                .entry(index.saturating_mul(self.res).div_ceil(res))
                .or_insert(0) += count;
        }
        Buckets { res, counts }
    }

    /// Per bucket, the larger count.
    fn merge_max(&mut self, other: &Buckets) {
        if self.res == 0 {
            *self = other.clone();
            return;
        }
        let other = other.at_resolution(self.res);
        for (index, count) in other.counts {
            let mine = self.counts.entry(index).or_insert(0);
            *mine = (*mine).max(count);
        }
    }

    /// Per bucket, the sum (distinct events of the same instance).
    fn merge_sum(&mut self, other: &Buckets) {
        if self.res == 0 {
            *self = other.clone();
            return;
        }
        for (index, count) in other.at_resolution(self.res).counts {
            *self.counts.entry(index).or_insert(0) += count;
        }
    }

    fn keep_between(&mut self, cutoff: u64, ceiling: u64) {
        let res = self.res;
        self.counts
            .retain(|&i, _| (cutoff..=ceiling).contains(&i.saturating_mul(res)));
    }

    fn latest(&self) -> u64 {
        self.counts
            .keys()
            .next_back()
            .map_or(0, |i| i.saturating_mul(self.res))
    }

    /// `{"res":15000,"b":[first index, count, index delta, count, ...]}`: compact.
    pub fn to_json(&self) -> Value {
        let mut flat = Vec::with_capacity(self.counts.len() * 2);
        let mut previous = 0;
        for (&index, &count) in &self.counts {
            flat.push(index - previous);
            flat.push(count);
            previous = index;
        }
        json!({"res": self.res, "b": flat})
    }

    fn from_json(value: &Value) -> Option<Buckets> {
        let res = value.get("res")?.as_u64().filter(|&r| r >= 1)?;
        let flat = value.get("b")?.as_array()?;
        if flat.len() % 2 != 0 || flat.len() / 2 > MAX_BUCKETS {
            return None;
        }
        let mut counts = BTreeMap::new();
        let mut index: u64 = 0;
        for pair in flat.chunks(2) {
            index = index.checked_add(pair[0].as_u64()?)?;
            let count = pair[1].as_u64().filter(|&c| c <= MAX_COUNT)?;
            *counts.entry(index).or_insert(0) += count;
        }
        Some(Buckets { res, counts })
    }
}

/// One other process's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Instance {
    sends: BTreeMap<EndpointClass, Buckets>,
    failures: Buckets,
    /// How many requests it may have in flight: sends it made after its last export.
    in_flight: u32,
}

impl Instance {
    fn latest(&self) -> u64 {
        self.sends
            .values()
            .map(Buckets::latest)
            .chain([self.failures.latest()])
            .max()
            .unwrap_or(0)
    }
}

/// What this process knows of the others.
#[derive(Debug, Clone)]
pub(crate) struct SharedState {
    instance: String,
    /// This process's own in-flight cap, exported so others leave room for it.
    in_flight: u32,
    others: BTreeMap<String, Instance>,
    horizon_ms: u64,
    /// The others' counts as timelines, rebuilt when they change (gates read them often).
    sends_cache: BTreeMap<EndpointClass, Vec<Timeline>>,
    failures_cache: Vec<Timeline>,
}

impl SharedState {
    pub fn new(instance: String, in_flight: u32, horizon_ms: u64) -> SharedState {
        SharedState {
            instance,
            in_flight,
            others: BTreeMap::new(),
            horizon_ms,
            sends_cache: BTreeMap::new(),
            failures_cache: Vec::new(),
        }
    }

    pub fn others_sends(&self, class: EndpointClass) -> &[Timeline] {
        self.sends_cache.get(&class).map_or(&[], Vec::as_slice)
    }

    /// Sends the other processes may have made since they last exported: up to their
    /// in-flight cap each. Without this room, two processes syncing after every page can
    /// each send into the last free slot of a window.
    pub fn others_unseen(&self) -> u32 {
        self.others
            .iter()
            .filter(|(id, _)| **id != self.instance)
            .map(|(_, i)| i.in_flight.max(1))
            .sum()
    }

    pub fn others_failures(&self) -> &[Timeline] {
        &self.failures_cache
    }

    pub fn others_count_since(&self, class: EndpointClass, since: u64) -> u32 {
        let total: u64 = self
            .others
            .values()
            .filter_map(|i| i.sends.get(&class))
            .map(|b| b.count_since(since))
            .sum();
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    fn rebuild_cache(&mut self) {
        self.sends_cache.clear();
        self.failures_cache.clear();
        for instance in self.others.values() {
            for (class, buckets) in &instance.sends {
                self.sends_cache
                    .entry(*class)
                    .or_default()
                    .push(buckets.timeline());
            }
            if !instance.failures.counts.is_empty() {
                self.failures_cache.push(instance.failures.timeline());
            }
        }
    }

    /// Drops counts no window can see any more, and instances with none left.
    pub fn prune(&mut self, now: u64) {
        let cutoff = now.saturating_sub(self.horizon_ms);
        // Counts dated further ahead than any window reaches are not real (a clock far
        // off, a damaged store): they would hold every send back for as long.
        let ceiling = now.saturating_add(self.horizon_ms);
        let buckets_before = self.bucket_count();
        for instance in self.others.values_mut() {
            for buckets in instance.sends.values_mut() {
                buckets.keep_between(cutoff, ceiling);
            }
            instance.sends.retain(|_, b| !b.counts.is_empty());
            instance.failures.keep_between(cutoff, ceiling);
        }
        self.others
            .retain(|_, i| !i.sends.is_empty() || !i.failures.counts.is_empty());
        if self.bucket_count() != buckets_before {
            self.rebuild_cache();
        }
    }

    fn bucket_count(&self) -> usize {
        self.others
            .values()
            .map(|i| {
                i.sends.values().map(|b| b.counts.len()).sum::<usize>() + i.failures.counts.len()
            })
            .sum()
    }

    /// The state to export: our own counts (plus what an earlier run of this same
    /// instance left, when we picked that up at start) and every other instance's.
    pub fn export(
        &self,
        mut own_sends: BTreeMap<String, Buckets>,
        mut own_failures: Buckets,
    ) -> Option<Value> {
        if let Some(earlier) = self.others.get(&self.instance) {
            for (class, buckets) in &earlier.sends {
                own_sends
                    .entry(class.as_str().to_string())
                    .or_default()
                    .merge_sum(buckets);
            }
            own_failures.merge_sum(&earlier.failures);
        }
        let mut instances = Map::new();
        if own_sends.values().any(|b| !b.counts.is_empty()) || !own_failures.counts.is_empty() {
            let sends = own_sends.iter().map(|(k, v)| (k.as_str(), v));
            instances.insert(
                self.instance.clone(),
                instance_json(sends, &own_failures, self.in_flight),
            );
        }
        for (id, instance) in self.others.iter().filter(|(id, _)| **id != self.instance) {
            let sends = instance.sends.iter().map(|(c, b)| (c.as_str(), b));
            instances.insert(
                id.clone(),
                instance_json(sends, &instance.failures, instance.in_flight),
            );
        }
        (!instances.is_empty()).then(|| json!({"instances": instances}))
    }

    /// Merges an exported state. Our own instance's entry is taken only when this process
    /// has not sent anything yet (a restart with the same instance name); later it is
    /// our own counts coming back.
    pub fn import(&mut self, value: &Value, own_is_empty: bool) -> Result<(), Error> {
        let bad = || {
            Error::config(
                "The pacing part of the state is not what export_state writes",
                "Pass the unchanged string export_state() returned, or start without state.",
            )
        };
        let instances = value
            .get("instances")
            .and_then(Value::as_object)
            .ok_or_else(bad)?;
        // Read everything first: a bad entry must leave the state as it was.
        let mut parsed = Vec::new();
        for (id, data) in instances {
            if id.len() > 64 || (*id == self.instance && !own_is_empty) {
                continue;
            }
            let mut incoming = Instance::default();
            if let Some(sends) = data.get("sends").and_then(Value::as_object) {
                for (name, buckets) in sends {
                    let Some(class) = EndpointClass::from_name(name) else {
                        continue;
                    };
                    incoming
                        .sends
                        .insert(class, Buckets::from_json(buckets).ok_or_else(bad)?);
                }
            }
            if let Some(failures) = data.get("failures") {
                incoming.failures = Buckets::from_json(failures).ok_or_else(bad)?;
            }
            incoming.in_flight = match data.get("in_flight") {
                None => 1,
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(bad)?,
            };
            parsed.push((id.clone(), incoming));
        }
        for (id, incoming) in parsed {
            let entry = self.others.entry(id).or_default();
            for (class, buckets) in incoming.sends {
                entry.sends.entry(class).or_default().merge_max(&buckets);
            }
            entry.failures.merge_max(&incoming.failures);
            entry.in_flight = entry.in_flight.max(incoming.in_flight);
        }
        while self.others.len() > MAX_INSTANCES {
            let stalest = self
                .others
                .iter()
                .min_by_key(|(_, i)| i.latest())
                .map(|(id, _)| id.clone());
            match stalest {
                Some(id) => self.others.remove(&id),
                None => break,
            };
        }
        self.rebuild_cache();
        Ok(())
    }
}

fn instance_json<'a>(
    sends: impl Iterator<Item = (&'a str, &'a Buckets)>,
    failures: &Buckets,
    in_flight: u32,
) -> Value {
    let sends: Map<String, Value> = sends
        .filter(|(_, b)| !b.counts.is_empty())
        .map(|(k, b)| (k.to_string(), b.to_json()))
        .collect();
    let mut out = json!({"sends": sends, "in_flight": in_flight.max(1)});
    if !failures.counts.is_empty() {
        out["failures"] = failures.to_json();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(times: &[u64]) -> Timeline {
        let mut t = Timeline::default();
        for &x in times {
            t.record(x);
        }
        t
    }

    #[test]
    fn buckets_round_up_and_round_trip_compactly() {
        let b = Buckets::from_timeline(&timeline(&[1, 999, 1000, 1001, 5000]), 1000);
        assert_eq!(b.to_json(), json!({"res": 1000, "b": [1, 3, 1, 1, 3, 1]}));
        assert_eq!(Buckets::from_json(&b.to_json()), Some(b.clone()));
        assert_eq!(
            b.timeline().times().collect::<Vec<_>>(),
            vec![1000, 1000, 1000, 2000, 5000]
        );
    }

    #[test]
    fn merging_is_idempotent_and_takes_the_newer_copy() {
        let mut s = SharedState::new("me".into(), 1, 3_600_000);
        let old = json!({"instances": {"a": {"sends": {"default": {"res": 1000, "b": [1, 2]}}}}});
        let new =
            json!({"instances": {"a": {"sends": {"default": {"res": 1000, "b": [1, 3, 1, 1]}}}}});
        s.import(&new, true).unwrap();
        s.import(&old, true).unwrap();
        s.import(&new, true).unwrap();
        assert_eq!(s.others_count_since(EndpointClass::Default, 0), 4);
        assert_eq!(s.others_unseen(), 1, "one request in flight by default");
    }

    #[test]
    fn own_entry_is_taken_only_before_this_process_sends() {
        let state =
            json!({"instances": {"me": {"sends": {"default": {"res": 1000, "b": [5, 2]}}}}});
        let mut fresh = SharedState::new("me".into(), 1, 3_600_000);
        fresh.import(&state, true).unwrap();
        assert_eq!(fresh.others_count_since(EndpointClass::Default, 0), 2);
        let mut busy = SharedState::new("me".into(), 1, 3_600_000);
        busy.import(&state, false).unwrap();
        assert_eq!(busy.others_count_since(EndpointClass::Default, 0), 0);
        // A restarted instance exports its earlier sends with its new ones.
        let own = BTreeMap::from([(
            "default".to_string(),
            Buckets::from_timeline(&timeline(&[6000]), 1000),
        )]);
        let out = fresh.export(own, Buckets::default()).unwrap();
        assert_eq!(out["instances"]["me"]["in_flight"], 1);
        assert_eq!(
            out["instances"]["me"]["sends"]["default"],
            json!({"res": 1000, "b": [5, 2, 1, 1]})
        );
    }

    #[test]
    fn refuses_garbage_and_bounds_instances() {
        let mut s = SharedState::new("me".into(), 1, 3_600_000);
        for bad in [
            json!({}),
            json!({"instances": {"a": {"sends": {"default": {"res": 0, "b": []}}}}}),
            json!({"instances": {"a": {"sends": {"default": {"res": 1, "b": [1]}}}}}),
            json!({"instances": {"a": {"sends": {"default": {"res": 1, "b": [1, 9999999999u64]}}}}}),
        ] {
            assert!(s.import(&bad, true).is_err(), "{bad}");
        }
        for i in 0..40 {
            let state = json!({"instances": {format!("p{i}"): {"sends": {"default": {"res": 1000, "b": [i + 1, 1]}}}}});
            s.import(&state, true).unwrap();
        }
        assert_eq!(s.others.len(), MAX_INSTANCES);
        assert!(
            !s.others.contains_key("p0"),
            "the stalest instance goes first"
        );
    }
}
