//! The delivery worker's storage steps: claiming endpoints with work, reading their
//! due deliveries, keeping the claim, recording each attempt (retry, give up, disable a
//! failing endpoint), the backlog for the metrics, and clearing old deliveries.
//!
//! A claim is per endpoint: the process that holds an endpoint's lease is the only one
//! sending to it, so no delivery is ever sent by two processes at once, and an
//! endpoint's deliveries go out one at a time in event order. On PostgreSQL a claim
//! skips endpoints another replica is claiming at that moment (`FOR UPDATE SKIP
//! LOCKED`) and takes over at once the lease of a process that died (its liveness lock,
//! `db::lease`, is gone) or one that expired.

use chrono::{DateTime, Utc};
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    db::lease::Leases,
    error::Result,
    query::Params,
    store::Store,
    webhooks::{
        delivery::{Outcome, Reply},
        outbox::{DELIVERED, FAILED, PENDING},
        retry::Schedule,
    },
};

/// Endpoints with due deliveries this process may claim now, at most `limit`: enabled,
/// and not leased, or leased by a process that is gone, or with an expired lease.
/// Only reads: an idle worker writes nothing.
pub async fn claimable(
    db: &DatabaseConnection,
    leases: &Leases,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_endpoint::Model>> {
    let mut p = Params::new(db.get_database_backend());
    let sql = format!(
        "SELECT e.* FROM webhook_endpoint e \
         WHERE e.enabled = {} AND e.id IN (SELECT d.endpoint_id FROM webhook_delivery d \
           WHERE d.state = {} AND d.next_attempt_at <= {}) \
         ORDER BY e.lease_until IS NOT NULL, e.id LIMIT {}",
        p.bind(true),
        p.bind(PENDING),
        p.bind(now),
        p.bind(i64::try_from(limit.saturating_mul(4)).unwrap_or(i64::MAX)),
    );
    let rows = webhook_endpoint::Entity::find()
        .from_raw_sql(p.statement(sql))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let free = match (row.lease_owner, row.lease_until) {
            (None, _) | (_, None) => true,
            (_, Some(until)) if until < now => true,
            (Some(owner), Some(_)) if owner == leases.owner() => false,
            (Some(owner), Some(_)) => !leases.is_alive(db, owner, Uuid::nil()).await?,
        };
        if free {
            out.push(row);
            if out.len() as u64 >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Claims `endpoint` for this process until `until`, when its lease is still what it
/// was seen as: `false` when another process claimed it meanwhile (or is claiming it
/// now, on PostgreSQL: its row is locked and skipped).
pub async fn claim(
    db: &DatabaseConnection,
    owner: Uuid,
    endpoint: &webhook_endpoint::Model,
    until: DateTime<Utc>,
) -> Result<bool> {
    let backend = db.get_database_backend();
    let mut p = Params::new(backend);
    let same = |p: &mut Params, column: &str, value: sea_orm::Value| match backend {
        DbBackend::Postgres => format!("{column} IS NOT DISTINCT FROM {}", p.bind(value)),
        _ => format!("{column} IS {}", p.bind(value)),
    };
    let set_owner = p.bind(owner);
    let set_until = p.bind(until);
    let id = p.bind(endpoint.id);
    let seen_owner = same(&mut p, "lease_owner", endpoint.lease_owner.into());
    let seen_until = same(&mut p, "lease_until", endpoint.lease_until.into());
    let enabled = p.bind(true);
    let row = match backend {
        DbBackend::Postgres => format!(
            "(SELECT id FROM webhook_endpoint WHERE id = {id} AND {seen_owner} AND {seen_until} \
             AND enabled = {enabled} FOR UPDATE SKIP LOCKED)"
        ),
        _ => format!(
            "(SELECT id FROM webhook_endpoint WHERE id = {id} AND {seen_owner} AND {seen_until} \
             AND enabled = {enabled})"
        ),
    };
    let sql = format!(
        "UPDATE webhook_endpoint SET lease_owner = {set_owner}, lease_until = {set_until} \
         WHERE id = {row}"
    );
    Ok(db.execute(p.statement(sql)).await?.rows_affected() == 1)
}

/// Keeps this process's claim on an endpoint until `until`, and reads the endpoint
/// afresh (its URL or secrets may have changed). `None` when the claim was lost or the
/// endpoint was disabled or deleted: stop sending to it.
pub async fn renew(
    db: &DatabaseConnection,
    owner: Uuid,
    endpoint_id: Uuid,
    until: DateTime<Utc>,
) -> Result<Option<webhook_endpoint::Model>> {
    let kept = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::value(until))
        .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
        .filter(webhook_endpoint::Column::LeaseOwner.eq(owner))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    if kept.rows_affected == 0 {
        return Ok(None);
    }
    Ok(webhook_endpoint::Entity::find_by_id(endpoint_id)
        .one(db)
        .await?)
}

/// Gives up this process's claim on an endpoint.
pub async fn release(db: &DatabaseConnection, owner: Uuid, endpoint_id: Uuid) -> Result<()> {
    webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::LeaseOwner,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            webhook_endpoint::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_endpoint::Column::Id.eq(endpoint_id))
        .filter(webhook_endpoint::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// The next deliveries to send to `endpoint`, in event order, with their bodies, at
/// most `limit`. For an ordered endpoint, only while the oldest waiting delivery is
/// due: a later event never overtakes an earlier one still being retried.
pub async fn due(
    db: &DatabaseConnection,
    endpoint: &webhook_endpoint::Model,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(webhook_delivery::Model, String)>> {
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .filter(webhook_delivery::Column::State.eq(PENDING));
    if !endpoint.ordered {
        query = query.filter(webhook_delivery::Column::NextAttemptAt.lte(now));
    }
    let mut deliveries = query
        .order_by_asc(webhook_delivery::Column::EventAt)
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    if endpoint.ordered {
        let first_waiting = deliveries
            .iter()
            .position(|d| d.next_attempt_at > now)
            .unwrap_or(deliveries.len());
        deliveries.truncate(first_waiting);
    }
    let events = webhook_event::Entity::find()
        .filter(webhook_event::Column::Id.is_in(deliveries.iter().map(|d| d.event_id)))
        .all(db)
        .await?;
    let bodies = crate::query::index(events, |e| e.id);
    Ok(deliveries
        .into_iter()
        .filter_map(|d| {
            let body = bodies.get(&d.event_id)?.body.clone();
            Some((d, body))
        })
        .collect())
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The receiver took it.
    Delivered,
    /// It will be tried again.
    Retrying,
    /// Its time ran out: given up.
    Failed,
    /// It failed and the endpoint, failing for too long, was disabled.
    Disabled,
}

/// The limits an attempt is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Judgement {
    pub schedule: Schedule,
    /// How long an endpoint may fail every attempt before it is disabled.
    pub disable_after: chrono::Duration,
    /// A number in [0, 1) for the jitter of the next delay.
    pub jitter: f64,
}

/// Records one attempt of `delivery` to `endpoint` and decides what follows: done, a
/// retry (exponential back-off with jitter), or given up once the retry window is
/// past. An endpoint whose every attempt has failed for `disable_after` is disabled,
/// with the reason, and its waiting deliveries are marked failed. One transaction.
pub async fn record(
    store: &Store,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    reply: &Reply,
    now: DateTime<Utc>,
    judgement: Judgement,
) -> Result<Verdict> {
    let tx = crate::write::begin_bookkeeping(store, Some(endpoint.organization_id)).await?;
    let number = delivery.attempts + 1;
    insert_attempt(&tx, delivery, number, reply, now).await?;
    let mut row: webhook_delivery::ActiveModel = delivery.clone().into();
    row.attempts = Set(number);
    row.last_status = Set(reply.status.map(i32::from));
    row.last_error = Set(reply.error.clone());
    let verdict = if reply.outcome == Outcome::Success {
        row.state = Set(DELIVERED.to_owned());
        row.completed_at = Set(Some(now));
        if endpoint.failing_since.is_some() {
            webhook_endpoint::Entity::update_many()
                .col_expr(
                    webhook_endpoint::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                .exec(&tx)
                .await?;
        }
        Verdict::Delivered
    } else {
        let failing_since = endpoint.failing_since.unwrap_or(now);
        // The window counts from when the delivery was made: the event's time, or
        // when an admin asked to send it again.
        let retry = judgement.schedule.next(
            delivery.created_at,
            now,
            u32::try_from(number).unwrap_or(u32::MAX),
            judgement.jitter,
        );
        match retry {
            Some(next) => row.next_attempt_at = Set(next),
            None => {
                row.state = Set(FAILED.to_owned());
                row.completed_at = Set(Some(now));
            }
        }
        if now - failing_since >= judgement.disable_after {
            row.update(&tx).await?;
            disable(&tx, endpoint, failing_since, reply, now).await?;
            tx.commit().await?;
            return Ok(Verdict::Disabled);
        }
        if endpoint.failing_since.is_none() {
            webhook_endpoint::Entity::update_many()
                .col_expr(webhook_endpoint::Column::FailingSince, Expr::value(now))
                .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                .filter(webhook_endpoint::Column::FailingSince.is_null())
                .exec(&tx)
                .await?;
        }
        if retry.is_some() {
            Verdict::Retrying
        } else {
            Verdict::Failed
        }
    };
    row.update(&tx).await?;
    tx.commit().await?;
    Ok(verdict)
}

/// Writes one attempt row.
pub(crate) async fn insert_attempt<C: ConnectionTrait>(
    tx: &C,
    delivery: &webhook_delivery::Model,
    number: i32,
    reply: &Reply,
    now: DateTime<Utc>,
) -> Result<()> {
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(delivery.organization_id),
        delivery_id: Set(delivery.id),
        number: Set(number),
        attempted_at: Set(now),
        outcome: Set(reply.outcome.as_str().to_owned()),
        status_code: Set(reply.status.map(i32::from)),
        latency_ms: Set(i64::try_from(reply.latency.as_millis()).unwrap_or(i64::MAX)),
        response_excerpt: Set(reply.excerpt.clone()),
        error: Set(reply.error.clone()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Disables an endpoint that has failed since `failing_since`, saying why, and gives
/// up its waiting deliveries (an admin may send them again with `redeliverWebhook`).
async fn disable<C: ConnectionTrait>(
    tx: &C,
    endpoint: &webhook_endpoint::Model,
    failing_since: DateTime<Utc>,
    reply: &Reply,
    now: DateTime<Utc>,
) -> Result<()> {
    let last = reply.error.as_deref().unwrap_or("no answer");
    let reason = format!(
        "disabled by the server at {}: every delivery attempt has failed since {} (the last: {last}); \
         fix the receiver, then enable the endpoint again",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Enabled, Expr::value(false))
        .col_expr(
            webhook_endpoint::Column::DisabledReason,
            Expr::value(reason),
        )
        .col_expr(webhook_endpoint::Column::DisabledAt, Expr::value(now))
        .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            webhook_endpoint::Column::Version,
            Expr::col(webhook_endpoint::Column::Version).add(1),
        )
        .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
        .exec(tx)
        .await?;
    give_up_waiting(tx, endpoint.id, "the endpoint was disabled", now).await
}

/// Marks every waiting delivery of an endpoint failed, with `why`.
pub(crate) async fn give_up_waiting<C: ConnectionTrait>(
    tx: &C,
    endpoint_id: Uuid,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value(FAILED))
        .col_expr(webhook_delivery::Column::LastError, Expr::value(why))
        .col_expr(webhook_delivery::Column::CompletedAt, Expr::value(now))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .filter(webhook_delivery::Column::State.eq(PENDING))
        .exec(tx)
        .await?;
    Ok(())
}

/// The backlog across every organization: deliveries waiting, and when the oldest
/// waiting one's event happened.
pub async fn backlog(db: &DatabaseConnection) -> Result<(u64, Option<DateTime<Utc>>)> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = webhook_delivery::Entity::find()
        .select_only()
        .column_as(webhook_delivery::Column::Id.count(), "waiting")
        .column_as(webhook_delivery::Column::EventAt.min(), "oldest")
        .filter(webhook_delivery::Column::State.eq(PENDING))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map_or((0, None), |(waiting, oldest)| {
        (u64::try_from(waiting).unwrap_or(0), oldest)
    }))
}

/// Deletes deliveries (with their attempts) finished before `before`, and events no
/// delivery refers to any more that are older than that.
pub async fn clear_before(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<()> {
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::State.ne(PENDING))
        .filter(webhook_delivery::Column::CompletedAt.lt(before))
        .exec(db)
        .await?;
    let mut p = Params::new(db.get_database_backend());
    let sql = format!(
        "DELETE FROM webhook_event WHERE created_at < {} AND NOT EXISTS \
         (SELECT 1 FROM webhook_delivery d WHERE d.event_id = webhook_event.id)",
        p.bind(before)
    );
    db.execute(p.statement(sql)).await?;
    Ok(())
}
