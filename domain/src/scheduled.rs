//! Structure changes dated in the future, announced on their day.
//!
//! A change written today that takes effect later changes no read of an earlier day,
//! so it is not announced as `structure.changed` when written: [`crate::write`] keeps
//! it in `scheduled_change` and tells webhooks `structure.scheduled`. On its day the
//! delivery worker calls [`announce_due`], which claims each due change once, across
//! replicas and restarts (a conditional update only one claimant passes), writes its
//! `structure.changed` event (which marks the organization's insights for evaluation,
//! so `insight.raised`/`insight.resolved` follow), and tells subscribers.

use chrono::NaiveDate;
use entity::scheduled_change;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    clock,
    error::Result,
    events::Event,
    store::Store,
    webhooks,
    write::{begin_bookkeeping, lock},
};

/// How many due changes one call announces at most; the rest wait for the next.
const BATCH: u64 = 100;

/// Announces the changes that take effect on or before `today` and were not announced
/// yet: each once, whoever else calls this at the same time. Returns how many this
/// call announced. `polling` is the connection the look for due changes is made on
/// (the delivery worker's own, so its polls are not counted as a request's
/// statements); the announcements are written through `store`.
pub async fn announce_due(
    store: &Store,
    polling: &DatabaseConnection,
    today: NaiveDate,
) -> Result<usize> {
    let due = scheduled_change::Entity::find()
        .filter(scheduled_change::Column::EffectiveOn.lte(today))
        .filter(scheduled_change::Column::AnnouncedAt.is_null())
        .order_by_asc(scheduled_change::Column::EffectiveOn)
        .order_by_asc(scheduled_change::Column::Id)
        .limit(BATCH)
        .all(polling)
        .await?;
    let mut announced = 0;
    for change in due {
        if announce(store, change).await? {
            announced += 1;
        }
    }
    Ok(announced)
}

/// Claims and announces one change; `false` when another caller claimed it first.
async fn announce(store: &Store, change: scheduled_change::Model) -> Result<bool> {
    let tx = begin_bookkeeping(store, Some(change.organization_id)).await?;
    // The organization's lock orders this event after the writes before it.
    lock(&tx, change.organization_id).await?;
    let claimed = scheduled_change::Entity::update_many()
        .col_expr(
            scheduled_change::Column::AnnouncedAt,
            Expr::value(clock::now()),
        )
        .filter(scheduled_change::Column::Id.eq(change.id))
        .filter(scheduled_change::Column::AnnouncedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let object_ids: Vec<Uuid> = serde_json::from_value(change.object_ids.clone())
        .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("scheduled change: {e}")))?;
    webhooks::outbox::enqueue(
        &tx,
        change.organization_id,
        webhooks::EventType::StructureChanged,
        json!({
            "operation": change.operation,
            "objectIds": object_ids,
            "effectiveOn": change.effective_on.to_string(),
        }),
    )
    .await?;
    tx.commit().await?;
    store
        .events
        .publish(Event::StructureChanged {
            organization_id: change.organization_id,
            operation: change.operation,
            object_ids,
            effective_on: Some(change.effective_on),
        })
        .await;
    Ok(true)
}
