//! Scheduled harvesting for `moisson serve`: each source with a `schedule` (6-field cron,
//! in the server's local time zone) is harvested at its times.
//!
//! Invariants:
//! - A source never runs twice at once: a run starts through the same running set as
//!   `POST /api/sources/{id}/harvest`, and a run due while the source is still running is
//!   skipped.
//! - Runs wait for a global and a per-host slot (`Harvests::limits`), then start after a
//!   small random jitter so sources on one schedule do not hit their servers together.
//! - Catch-up: the next run is computed from the start of the source's last job in the
//!   store, so runs missed while the server was down (or while a long job ran) collapse
//!   into one run, at once.
//! - When `stop` is cancelled, no new run starts; running jobs are the caller's to wait
//!   for or abort.
//! - Sources at run time ([`spawn_live`]): when the list changes (admin API, `SIGHUP`), the
//!   task of each added or changed source starts, and that of each changed or removed one
//!   stops (a job it started runs to its end), without a restart.

use chrono::{DateTime, Local, Utc};
use moisson_catalog::CatalogStore;
use moisson_harvester::Source;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::app::Harvests;
use crate::config::{parse_schedule, SchedulerOptions};

/// Starts one scheduling task per scheduled source; they end when `stop` is cancelled.
pub fn spawn(
    store: CatalogStore,
    harvests: Arc<Harvests>,
    sources: &[Source],
    options: &SchedulerOptions,
    stop: CancellationToken,
) -> anyhow::Result<tokio::task::JoinSet<()>> {
    let mut tasks = tokio::task::JoinSet::new();
    if !options.enabled {
        return Ok(tasks);
    }
    for source in sources {
        let Some(expression) = &source.schedule else {
            continue;
        };
        let schedule =
            parse_schedule(expression).map_err(|e| anyhow::anyhow!("source {}: {e}", source.id))?;
        let task = SourceTask {
            store: store.clone(),
            harvests: harvests.clone(),
            source: source.clone(),
            schedule,
            jitter: Duration::from_secs(options.jitter_secs),
            catch_up: options.catch_up,
            stop: stop.clone(),
            defined_at_run_time: false,
        };
        tasks.spawn(task.run());
    }
    tracing::info!(sources = tasks.len(), "scheduler started");
    Ok(tasks)
}

/// Schedules the live list `sources`, following its changes until `stop` is cancelled.
pub fn spawn_live(
    store: CatalogStore,
    harvests: Arc<Harvests>,
    sources: crate::live_sources::Sources,
    options: &SchedulerOptions,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let options = options.clone();
    tokio::spawn(async move {
        if !options.enabled {
            return;
        }
        let mut changes = sources.subscribe();
        // Each scheduled source: what it was started with (as JSON), and its task's stop.
        let mut tasks: HashMap<String, (serde_json::Value, CancellationToken)> = HashMap::new();
        loop {
            changes.mark_unchanged();
            let current = sources.current();
            let mut wanted: HashSet<String> = HashSet::new();
            for source in current.iter() {
                let Some(expression) = &source.schedule else {
                    continue;
                };
                let id = source.id.to_string();
                let defined_at_run_time = sources.defined_at_run_time(&id);
                let shape =
                    serde_json::json!({ "source": source, "run_time": defined_at_run_time });
                wanted.insert(id.clone());
                if tasks.get(&id).is_some_and(|(known, _)| *known == shape) {
                    continue;
                }
                if let Some((_, old)) = tasks.remove(&id) {
                    old.cancel();
                }
                let schedule = match parse_schedule(expression) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(source = %id, error = %e, "not scheduled");
                        continue;
                    }
                };
                let own_stop = stop.child_token();
                let task = SourceTask {
                    store: store.clone(),
                    harvests: harvests.clone(),
                    source: source.clone(),
                    schedule,
                    jitter: Duration::from_secs(options.jitter_secs),
                    catch_up: options.catch_up,
                    stop: own_stop.clone(),
                    defined_at_run_time,
                };
                tokio::spawn(task.run());
                tasks.insert(id, (shape, own_stop));
            }
            tasks.retain(|id, (_, own_stop)| {
                let keep = wanted.contains(id);
                if !keep {
                    own_stop.cancel();
                }
                keep
            });
            tracing::info!(sources = tasks.len(), "scheduler (re)started");
            tokio::select! {
                () = stop.cancelled() => return,
                changed = changes.changed() => {
                    if changed.is_err() {
                        stop.cancelled().await;
                        return;
                    }
                }
            }
        }
    })
}

struct SourceTask {
    store: CatalogStore,
    harvests: Arc<Harvests>,
    source: Source,
    schedule: cron::Schedule,
    jitter: Duration,
    catch_up: bool,
    stop: CancellationToken,
    /// Harvested with public addresses only ([`crate::runner::run_started_reaching`]).
    defined_at_run_time: bool,
}

impl SourceTask {
    async fn run(self) {
        let id = self.source.id.to_string();
        let mut last = if self.catch_up {
            self.last_started().await
        } else {
            None
        };
        loop {
            let now = Utc::now();
            let Some(due) = next_run(&self.schedule, last, now) else {
                tracing::warn!(source = %id, "schedule has no future time: not scheduled");
                return;
            };
            let wait = (due - now).to_std().unwrap_or(Duration::ZERO) + random_below(self.jitter);
            tracing::debug!(source = %id, due = %due, wait_ms = wait.as_millis() as u64, "next scheduled harvest");
            tokio::select! {
                () = self.stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            last = Some(Utc::now());
            if !self.harvests.try_start(&id) {
                tracing::info!(source = %id, "scheduled harvest skipped: the source is still being harvested");
                continue;
            }
            let progress = Arc::new(moisson_harvester::LogProgress);
            // The job runs in its own task, so that a stop does not cancel it mid-step: the
            // server's shutdown waits for it, then aborts it through the harvest options.
            let (store, harvests, source) = (
                self.store.clone(),
                self.harvests.clone(),
                self.source.clone(),
            );
            let public_only = self.defined_at_run_time;
            let job = tokio::spawn(async move {
                crate::runner::run_started_reaching(
                    &store,
                    &harvests,
                    &source,
                    progress,
                    public_only,
                )
                .await
            });
            tokio::select! {
                () = self.stop.cancelled() => return,
                joined = job => {
                    if let Err(e) = joined {
                        tracing::error!(source = %id, error = %e, "scheduled harvest task failed");
                        self.harvests.done(&id);
                    }
                }
            }
        }
    }

    /// Start time of the last job of the source, from the store.
    async fn last_started(&self) -> Option<DateTime<Utc>> {
        let (store, id) = (self.store.clone(), self.source.id.to_string());
        let job = tokio::task::spawn_blocking(move || store.last_job(&id))
            .await
            .ok()?
            .ok()??;
        DateTime::parse_from_rfc3339(&job.started)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The next time to run: the first scheduled time after `last` (which may be past: a missed
/// run, run at once), or after `now` when nothing ran yet.
pub fn next_run(
    schedule: &cron::Schedule,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let from = last.unwrap_or(now).with_timezone(&Local);
    let due = schedule.after(&from).next()?.with_timezone(&Utc);
    Some(due.max(now))
}

/// A random duration in `[0, max)` (zero when `max` is zero).
fn random_below(max: Duration) -> Duration {
    let millis = max.as_millis() as u64;
    if millis == 0 {
        return Duration::ZERO;
    }
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_millis(random % millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_missed_run_runs_once_at_once() {
        let every_minute = parse_schedule("0 * * * * *").expect("valid");
        let now = at("2026-01-10T12:00:30Z");
        // Down for a day: one run, now.
        let last = Some(at("2026-01-09T12:00:00Z"));
        assert_eq!(next_run(&every_minute, last, now), Some(now));
        // The last run was this minute: the next is the next minute.
        let last = Some(at("2026-01-10T12:00:01Z"));
        assert_eq!(
            next_run(&every_minute, last, now),
            Some(at("2026-01-10T12:01:00Z"))
        );
        // Never ran: the next time of the schedule.
        assert_eq!(
            next_run(&every_minute, None, now),
            Some(at("2026-01-10T12:01:00Z"))
        );
    }

    #[test]
    fn jitter_stays_below_its_bound() {
        for _ in 0..100 {
            assert!(random_below(Duration::from_secs(2)) < Duration::from_secs(2));
        }
        assert_eq!(random_below(Duration::ZERO), Duration::ZERO);
    }
}
