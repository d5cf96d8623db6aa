//! Keeping an organization's insights for webhooks: the baseline taken when an endpoint
//! starts listening to insight events, and each later evaluation, which turns what
//! appeared and disappeared into `insight.raised` and `insight.resolved` events.
//!
//! What is guaranteed: an insight (its code and evidence) present in an evaluation and
//! absent from the one before is raised once, and one that disappears is resolved
//! once. Evaluations run after every change that marked the organization
//! (structure changes and promotions through the outbox; stage declarations, priority
//! assessments, relationships and reviews through
//! [`crate::webhooks::outbox::insights_may_have_changed`]), and once a day for what
//! the passing of time alone changes (KPI freshness). Several changes between two
//! evaluations are judged together: an insight that came and went between them is not
//! told.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{webhook_endpoint, webhook_insight_state, webhook_insight_watch};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{changes, describe, fingerprint};
use crate::{
    clock,
    error::Result,
    insights,
    store::Store,
    webhooks::{
        event::EventType,
        outbox::{wants, write},
    },
    write::lock,
};

/// The next time the organization is evaluated without a change: the next midnight
/// (UTC), when KPI freshness may have moved.
fn next_daily(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(now + chrono::Duration::days(1), |t| t.and_utc())
}

/// Whether an enabled endpoint of the organization listens to an insight event.
async fn listened_to<C: ConnectionTrait>(tx: &C, organization_id: Uuid) -> Result<bool> {
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(tx)
        .await?
        .iter()
        .any(|endpoint| {
            EventType::ALL
                .into_iter()
                .filter(|t| t.is_insight())
                .any(|t| wants(endpoint, t.as_str()))
        }))
}

/// The current insights of the organization on `today`, read on `db` (outside the
/// caller's transaction, which holds the organization's lock, so nothing changes
/// them meanwhile).
async fn current(
    db: &DatabaseConnection,
    organization_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<insights::Insight>> {
    let snapshot = insights::snapshot(db, organization_id, today).await?;
    Ok(insights::evaluate(&snapshot, None))
}

/// Brings the watch of the organization's insights in line with its endpoints, inside
/// the caller's transaction (which holds the organization's lock): when an enabled
/// endpoint listens to insight events and no watch exists yet, takes the baseline (the
/// insights as they are, told to no one), so that only later changes raise events;
/// when none listens any more, drops the watch and what it kept.
pub async fn follow_endpoints<C: ConnectionTrait>(
    tx: &C,
    db: &DatabaseConnection,
    organization_id: Uuid,
) -> Result<()> {
    let watching = webhook_insight_watch::Entity::find_by_id(organization_id)
        .one(tx)
        .await?
        .is_some();
    let listened = listened_to(tx, organization_id).await?;
    let now = clock::now();
    if listened && !watching {
        let found = current(db, organization_id, now.date_naive()).await?;
        let mut stored = HashMap::new();
        for insight in &found {
            stored.insert(fingerprint(insight), (insight.code, describe(insight)));
        }
        for (print, (code, insight)) in stored {
            webhook_insight_state::ActiveModel {
                organization_id: Set(organization_id),
                fingerprint: Set(print),
                code: Set(code.to_owned()),
                insight: Set(insight),
                raised_at: Set(now),
            }
            .insert(tx)
            .await?;
        }
        webhook_insight_watch::ActiveModel {
            organization_id: Set(organization_id),
            due_at: Set(next_daily(now)),
            evaluated_at: Set(Some(now)),
        }
        .insert(tx)
        .await?;
    } else if !listened && watching {
        webhook_insight_state::Entity::delete_many()
            .filter(webhook_insight_state::Column::OrganizationId.eq(organization_id))
            .exec(tx)
            .await?;
        webhook_insight_watch::Entity::delete_many()
            .filter(webhook_insight_watch::Column::OrganizationId.eq(organization_id))
            .exec(tx)
            .await?;
    }
    Ok(())
}

/// Organizations whose insights are due for evaluation at `now`, at most `limit`.
pub async fn due(db: &DatabaseConnection, now: DateTime<Utc>, limit: u64) -> Result<Vec<Uuid>> {
    Ok(webhook_insight_watch::Entity::find()
        .select_only()
        .column(webhook_insight_watch::Column::OrganizationId)
        .filter(webhook_insight_watch::Column::DueAt.lte(now))
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// What an evaluation told.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Evaluated {
    pub raised: usize,
    pub resolved: usize,
}

/// Evaluates the organization's insights when they are due: under the organization's
/// lock (so one replica evaluates, and no change slips in between), compares them with
/// the ones kept, writes `insight.raised` and `insight.resolved` events for the
/// differences and keeps the new set, all in one transaction. `None` when another
/// replica got there first or the watch is gone.
pub async fn evaluate(store: &Store, organization_id: Uuid) -> Result<Option<Evaluated>> {
    let tx = crate::write::begin_bookkeeping(store, Some(organization_id)).await?;
    lock(&tx, organization_id).await?;
    let now = clock::now();
    let Some(watch) = webhook_insight_watch::Entity::find_by_id(organization_id)
        .one(&tx)
        .await?
    else {
        return Ok(None);
    };
    if watch.due_at > now {
        return Ok(None);
    }
    if !listened_to(&tx, organization_id).await? {
        follow_endpoints(&tx, &store.db, organization_id).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let today = now.date_naive();
    let found = current(&store.db, organization_id, today).await?;
    let stored: HashMap<String, Value> = webhook_insight_state::Entity::find()
        .filter(webhook_insight_state::Column::OrganizationId.eq(organization_id))
        .all(&tx)
        .await?
        .into_iter()
        .map(|row| (row.fingerprint, row.insight))
        .collect();
    let found_changes = changes(&stored, &found);
    // The events, raised ones first, written once the stored state is up to date.
    let mut events = Vec::new();
    for (print, code, insight) in &found_changes.raised {
        webhook_insight_state::ActiveModel {
            organization_id: Set(organization_id),
            fingerprint: Set(print.clone()),
            code: Set(code.clone()),
            insight: Set(insight.clone()),
            raised_at: Set(now),
        }
        .insert(&tx)
        .await?;
        events.push((EventType::InsightRaised, insight));
    }
    for (print, insight) in &found_changes.resolved {
        webhook_insight_state::Entity::delete_many()
            .filter(webhook_insight_state::Column::OrganizationId.eq(organization_id))
            .filter(webhook_insight_state::Column::Fingerprint.eq(print.as_str()))
            .exec(&tx)
            .await?;
        events.push((EventType::InsightResolved, insight));
    }
    for (event, insight) in events {
        let data = json!({ "asOf": today.to_string(), "insight": insight });
        write(&tx, organization_id, event.as_str(), data, now, None).await?;
    }
    let mut watch: webhook_insight_watch::ActiveModel = watch.into();
    watch.due_at = Set(next_daily(now));
    watch.evaluated_at = Set(Some(now));
    watch.update(&tx).await?;
    tx.commit().await?;
    Ok(Some(Evaluated {
        raised: found_changes.raised.len(),
        resolved: found_changes.resolved.len(),
    }))
}
