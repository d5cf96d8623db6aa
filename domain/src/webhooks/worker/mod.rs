//! The delivery worker: a task per serving process that evaluates due insight watches,
//! claims endpoints with due deliveries and sends them, and keeps the backlog metrics.
//!
//! Each claimed endpoint gets a task of its own that sends its due deliveries one at a
//! time, oldest event first, renewing its claim before each send (a claim outlives any
//! one attempt by far, so it cannot lapse mid-send). On shutdown the worker stops
//! claiming, lets each endpoint task finish the attempt it is in, and releases the
//! claims; a killed process leaves its claims to be taken over (at once on
//! PostgreSQL, whose liveness lock tells; on SQLite, at the next start). A delivery
//! whose attempt was cut off by a crash before it was recorded is sent again: delivery
//! is at least once, and a duplicate carries the same `webhook-id`.

pub mod deliveries;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinSet, time::Instant};

use self::deliveries::{Judgement, Verdict};
use super::{
    delivery::{Message, Transport},
    retry::{self, Schedule},
    watch::evaluation as insight_watch,
};
use crate::{clock, observe::Observer, settings::WebhookSettings, store::Store};

/// How many due deliveries of an endpoint are read at a time.
const BATCH: u64 = 50;
/// How many organizations' insights one round evaluates at most.
const INSIGHT_BATCH: u64 = 20;
/// How often the backlog gauges are read.
const GAUGES_EVERY: Duration = Duration::from_secs(5);
/// How often old deliveries are cleared.
const CLEAR_EVERY: Duration = Duration::from_secs(3_600);

/// What the worker needs: the store its writes go through, a handle on the same pool
/// for its polling (left out of the SQL statement count, so an idle worker does not
/// show in `db_statements_total`), the sender and the settings.
pub struct Worker {
    pub store: Store,
    pub polling: DatabaseConnection,
    pub sender: Arc<dyn Transport>,
    pub metrics: Arc<dyn Observer>,
    pub settings: WebhookSettings,
}

/// A running worker: stop it with [`Running::stop`].
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops claiming work, waits (at most `within`) for the attempts in flight to be
    /// recorded, and releases the claims.
    pub async fn stop(self, within: Duration) {
        self.stop.send_replace(true);
        let mut task = self.task;
        if tokio::time::timeout(within, &mut task).await.is_err() {
            tracing::warn!("webhook deliveries in flight did not finish in time; abandoned");
            task.abort();
        }
    }
}

/// One worker's shared state, for its endpoint tasks.
struct Shared {
    worker: Worker,
    judgement: Judgement,
    lease: chrono::Duration,
}

impl Worker {
    /// Starts the worker on the current runtime.
    pub fn start(self) -> Running {
        let (stop, stopping) = watch::channel(false);
        let schedule = Schedule::from_settings(&self.settings);
        let disable_after = chrono::Duration::seconds(
            i64::try_from(self.settings.disable_after_secs).unwrap_or(i64::MAX / 1_000),
        );
        // A claim covers any one attempt with room to spare: renewed before each send,
        // it cannot run out while the send is under way.
        let lease = chrono::Duration::milliseconds(
            i64::try_from(self.settings.timeout_ms.saturating_mul(3)).unwrap_or(i64::MAX / 2),
        ) + chrono::Duration::seconds(30);
        let shared = Arc::new(Shared {
            worker: self,
            judgement: Judgement {
                schedule,
                disable_after,
                jitter: 0.5,
            },
            lease,
        });
        let task = tokio::spawn(run(shared, stopping));
        Running { stop, task }
    }
}

async fn run(shared: Arc<Shared>, mut stopping: watch::Receiver<bool>) {
    let settings = &shared.worker.settings;
    let poll = Duration::from_millis(settings.poll_interval_ms);
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut gauges_at: Option<Instant> = None;
    let mut cleared_at = Instant::now();
    tracing::info!("webhook delivery worker started");
    // The first look comes one interval after the start, not while the server is
    // still taking its first requests.
    tokio::select! {
        () = tokio::time::sleep(poll) => {}
        _ = stopping.changed() => {}
    }
    loop {
        if *stopping.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let now = clock::now();
        announce_scheduled(&shared, now.date_naive()).await;
        evaluate_insights(&shared, now).await;
        let free = settings.concurrency.saturating_sub(tasks.len());
        if free > 0 {
            for endpoint in claim(&shared, now, free).await {
                let shared = shared.clone();
                let stopping = stopping.clone();
                tasks.spawn(async move { deliver(shared, endpoint, stopping).await });
            }
        }
        if gauges_at.is_none_or(|at| at.elapsed() >= GAUGES_EVERY) {
            gauges_at = Some(Instant::now());
            update_gauges(&shared, now).await;
        }
        shared.worker.metrics.observe_worker_round();
        if cleared_at.elapsed() >= CLEAR_EVERY {
            cleared_at = Instant::now();
            let before =
                now - chrono::Duration::days(i64::try_from(settings.retention_days).unwrap_or(30));
            if let Err(err) = deliveries::clear_before(&shared.worker.polling, before).await {
                tracing::warn!(error = %err, "clearing old webhook deliveries failed");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stopping.changed() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!("webhook delivery worker stopped");
}

/// Announces the structure changes whose day has come.
async fn announce_scheduled(shared: &Shared, today: chrono::NaiveDate) {
    match crate::scheduled::announce_due(&shared.worker.store, &shared.worker.polling, today).await
    {
        Ok(0) => {}
        Ok(announced) => tracing::info!(announced, "dated structure changes took effect"),
        Err(err) => tracing::warn!(error = %err, "announcing dated structure changes failed"),
    }
}

/// Evaluates the insights of the organizations that are due.
async fn evaluate_insights(shared: &Shared, now: DateTime<Utc>) {
    let store = &shared.worker.store;
    let due = match insight_watch::due(&shared.worker.polling, now, INSIGHT_BATCH).await {
        Ok(due) => due,
        Err(err) => {
            tracing::warn!(error = %err, "reading the insight watches failed");
            return;
        }
    };
    for organization in due {
        match insight_watch::evaluate(store, organization).await {
            Ok(Some(found)) if found.raised + found.resolved > 0 => tracing::info!(
                organization = %organization,
                raised = found.raised,
                resolved = found.resolved,
                "insights changed"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(
                organization = %organization,
                error = %err,
                "evaluating insights for webhooks failed"
            ),
        }
    }
}

/// Claims up to `free` endpoints with due deliveries.
async fn claim(shared: &Shared, now: DateTime<Utc>, free: usize) -> Vec<webhook_endpoint::Model> {
    let db = &shared.worker.polling;
    let leases = &shared.worker.store.leases;
    let candidates = match deliveries::claimable(db, leases, now, free as u64).await {
        Ok(candidates) => candidates,
        Err(err) => {
            tracing::warn!(error = %err, "looking for webhook deliveries failed");
            return Vec::new();
        }
    };
    let mut claimed = Vec::new();
    for endpoint in candidates {
        match deliveries::claim(db, leases.owner(), &endpoint, now + shared.lease).await {
            Ok(true) => claimed.push(endpoint),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "claiming a webhook endpoint failed"),
        }
    }
    claimed
}

/// Sends an endpoint's due deliveries while there are any, then releases it.
async fn deliver(
    shared: Arc<Shared>,
    endpoint: webhook_endpoint::Model,
    stopping: watch::Receiver<bool>,
) {
    let db = &shared.worker.polling;
    let owner = shared.worker.store.leases.owner();
    'batches: loop {
        let now = clock::now();
        let due = match deliveries::due(db, &endpoint, now, BATCH).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "reading due webhook deliveries failed");
                break;
            }
        };
        if due.is_empty() {
            break;
        }
        for (delivery, body) in due {
            if *stopping.borrow() {
                break 'batches;
            }
            let until = clock::now() + shared.lease;
            let current = match deliveries::renew(db, owner, endpoint.id, until).await {
                Ok(Some(current)) => current,
                Ok(None) => break 'batches,
                Err(err) => {
                    tracing::warn!(error = %err, "keeping the claim of a webhook endpoint failed");
                    break 'batches;
                }
            };
            match attempt(&shared, &current, &delivery, &body).await {
                Some(Verdict::Delivered | Verdict::Retrying | Verdict::Failed)
                    if !current.ordered => {}
                Some(Verdict::Delivered) => {}
                // An ordered endpoint waits for this delivery's retry; a disabled one
                // is done; an attempt that could not be recorded is tried again.
                _ => break 'batches,
            }
        }
    }
    if let Err(err) = deliveries::release(db, owner, endpoint.id).await {
        tracing::warn!(error = %err, "releasing a webhook endpoint failed");
    }
}

/// One attempt: send, record, count. `None` when it could not be recorded.
async fn attempt(
    shared: &Shared,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    body: &str,
) -> Option<Verdict> {
    let now = clock::now();
    let message = Message {
        id: webhook_id(delivery.event_id),
        body,
        secrets: secrets(endpoint, now),
    };
    let reply = shared.worker.sender.send(&endpoint.url, &message).await;
    let judgement = Judgement {
        jitter: retry::jitter(),
        ..shared.judgement
    };
    let recorded = deliveries::record(
        &shared.worker.store,
        endpoint,
        delivery,
        &reply,
        clock::now(),
        judgement,
    )
    .await;
    match recorded {
        Ok(verdict) => {
            shared
                .worker
                .metrics
                .observe_webhook_delivery(match verdict {
                    Verdict::Delivered => "delivered",
                    Verdict::Retrying => "retrying",
                    Verdict::Failed | Verdict::Disabled => "failed",
                });
            if verdict != Verdict::Delivered {
                tracing::info!(
                    endpoint = %endpoint.id,
                    delivery = %delivery.id,
                    outcome = reply.outcome.as_str(),
                    status = reply.status,
                    error = reply.error.as_deref().unwrap_or(""),
                    verdict = ?verdict,
                    "a webhook attempt failed"
                );
            }
            if verdict == Verdict::Disabled {
                tracing::warn!(endpoint = %endpoint.id, "a webhook endpoint failing for too long was disabled");
            }
            Some(verdict)
        }
        Err(err) => {
            tracing::warn!(error = %err, delivery = %delivery.id, "recording a webhook attempt failed");
            None
        }
    }
}

/// The `webhook-id` of an event's deliveries.
pub fn webhook_id(event_id: uuid::Uuid) -> String {
    format!("msg_{}", event_id.simple())
}

/// The secrets that sign for an endpoint at `now`: its own, and the previous one while
/// a rotation's overlap lasts.
pub fn secrets(endpoint: &webhook_endpoint::Model, now: DateTime<Utc>) -> Vec<&str> {
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret,
        endpoint.previous_secret_expires_at,
    ) && until > now
    {
        secrets.push(previous.as_str());
    }
    secrets
}

async fn update_gauges(shared: &Shared, now: DateTime<Utc>) {
    match deliveries::backlog(&shared.worker.polling).await {
        Ok((waiting, oldest)) => {
            let age = oldest.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1e3);
            shared.worker.metrics.set_webhook_backlog(waiting, age);
        }
        Err(err) => tracing::warn!(error = %err, "reading the webhook backlog failed"),
    }
}
