//! The `Idempotency-Key` header, as the IETF draft describes it: the same key with the
//! same body replays the stored reply; the same key with another body is 422; a key
//! whose first request is still running is 409. Keys are scoped per organization and
//! kept for a day.

use chrono::Duration;
use entity::idempotency_record;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    clock::now,
    error::{Error, Result},
};

/// How long a stored reply is replayed.
const KEEP: Duration = Duration::hours(24);
/// A first request that has not finished after this long is taken to have died (the
/// server crashed); a retry may then run it again, which the natural keys make safe.
const IN_FLIGHT: Duration = Duration::minutes(5);

/// What to do with a request that carries a key.
pub enum Claim {
    /// Run it, then call [`complete`].
    Run,
    /// Answer with the stored reply.
    Replay { status: u16, body: String },
    /// The first request with this key is still running: 409.
    InFlight,
    /// The key was used for another request: 422.
    Mismatch,
}

/// A fingerprint of what the request asks: media type and body.
pub fn fingerprint(content_type: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(content_type.as_bytes());
    hash.update([0]);
    hash.update(body);
    format!("{:x}", hash.finalize())
}

/// Checks a key: 1 to 255 visible ASCII characters.
pub fn parse_key(raw: &str) -> Result<String> {
    let raw = raw.trim().trim_matches('"');
    if raw.is_empty() || raw.len() > 255 || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::bad_input(
            "Idempotency-Key",
            "1 to 255 visible ASCII characters",
        ));
    }
    Ok(raw.to_owned())
}

/// Claims `key` for a request with `hash`, or says why not.
pub async fn claim(
    db: &DatabaseConnection,
    organization: Uuid,
    key: &str,
    hash: &str,
) -> Result<Claim> {
    let now = now();
    // Forget replies older than a day, for this organization.
    idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::OrganizationId.eq(organization))
        .filter(idempotency_record::Column::CreatedAt.lt(now - KEEP))
        .exec(db)
        .await?;
    let inserted = idempotency_record::ActiveModel {
        organization_id: Set(organization),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        status_code: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Run),
        Err(err) if crate::db::is_unique_violation(&err) => {}
        Err(err) => return Err(err.into()),
    }
    let Some(record) = idempotency_record::Entity::find_by_id((organization, key.to_owned()))
        .one(db)
        .await?
    else {
        // Deleted in between (expired): claim again.
        return Box::pin(claim(db, organization, key, hash)).await;
    };
    if record.request_hash != hash {
        return Ok(Claim::Mismatch);
    }
    match (record.status_code, record.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
        }),
        _ if record.created_at < now - IN_FLIGHT => {
            // Take over an abandoned claim, unless another retry just did.
            let taken = idempotency_record::Entity::update_many()
                .col_expr(idempotency_record::Column::CreatedAt, Expr::value(now))
                .filter(idempotency_record::Column::OrganizationId.eq(organization))
                .filter(idempotency_record::Column::Key.eq(key))
                .filter(idempotency_record::Column::CreatedAt.eq(record.created_at))
                .exec(db)
                .await?;
            Ok(if taken.rows_affected == 1 {
                Claim::Run
            } else {
                Claim::InFlight
            })
        }
        _ => Ok(Claim::InFlight),
    }
}

/// Stores the reply of a claimed key (or frees the key when the request failed on the
/// server's side, so a retry runs it again).
pub async fn complete(
    db: &DatabaseConnection,
    organization: Uuid,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    let filter = idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::OrganizationId.eq(organization))
        .filter(idempotency_record::Column::Key.eq(key));
    if status >= 500 {
        filter.exec(db).await?;
        return Ok(());
    }
    idempotency_record::Entity::update_many()
        .col_expr(
            idempotency_record::Column::StatusCode,
            Expr::value(i32::from(status)),
        )
        .col_expr(
            idempotency_record::Column::ResponseBody,
            Expr::value(body.to_owned()),
        )
        .col_expr(idempotency_record::Column::CompletedAt, Expr::value(now()))
        .filter(idempotency_record::Column::OrganizationId.eq(organization))
        .filter(idempotency_record::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
