//! The `Idempotency-Key` header, as the IETF draft describes it: the same key with the
//! same body replays the stored reply; the same key with another body is 422; a key
//! whose first request is still running is 409. Keys are scoped per organization and
//! kept for a day.
//!
//! A claim records who holds it: this server process and the lease of the attempt
//! (`crate::db::lease`). A retry that finds a claim without a reply asks whether that
//! attempt still runs: a claim of this process whose [`Attempt`] was dropped (its
//! task aborted, its client gone), of a process that died (on PostgreSQL its liveness
//! lock is free; on SQLite any other process), or older than five minutes is taken
//! over at once, by one retry; a live attempt still makes a second one wait (409).
//! The natural keys of KPI points make running a push again safe.

use chrono::Duration;
use entity::idempotency_record;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    clock::now,
    db::lease::Lease,
    error::{Error, Result},
    store::Store,
};

/// How long a stored reply is replayed.
const KEEP: Duration = Duration::hours(24);
/// A first request that has not finished after this long is taken to have died, even
/// when its owner still runs (its reply could not be stored, say); a retry may then run
/// it again, which the natural keys make safe.
const IN_FLIGHT: Duration = Duration::minutes(5);

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Claim {
    /// Run it, then call [`Attempt::complete`].
    Run(Attempt),
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

/// How many times a claim is tried when the row it found changed under it (deleted
/// by its abandoned attempt's clean-up, expired, or taken over by another retry).
const PASSES: usize = 3;

/// Claims `key` for a request with `hash`, or says why not.
pub async fn claim(store: &Store, organization: Uuid, key: &str, hash: &str) -> Result<Claim> {
    for _ in 1..PASSES {
        if let Some(claim) = try_claim(store, organization, key, hash).await? {
            return Ok(claim);
        }
    }
    Ok(try_claim(store, organization, key, hash)
        .await?
        .unwrap_or(Claim::InFlight))
}

/// One pass of [`claim`]: `None` when the row found changed before it could be taken.
async fn try_claim(
    store: &Store,
    organization: Uuid,
    key: &str,
    hash: &str,
) -> Result<Option<Claim>> {
    // The lease is live before the claim naming it can be seen.
    let lease = store.leases.take();
    let now = now();
    let tx = crate::write::begin_bookkeeping(store, None).await?;
    // Forget replies older than a day, for this organization.
    idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::OrganizationId.eq(organization))
        .filter(idempotency_record::Column::CreatedAt.lt(now - KEEP))
        .exec(&tx)
        .await?;
    let inserted = idempotency_record::Entity::insert(idempotency_record::ActiveModel {
        organization_id: Set(organization),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        status_code: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
        owner: Set(Some(store.leases.owner())),
        lease: Set(Some(lease.id())),
    })
    .on_conflict(
        OnConflict::columns([
            idempotency_record::Column::OrganizationId,
            idempotency_record::Column::Key,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if inserted == 1 {
        tx.commit().await?;
        return Ok(Some(Claim::Run(Attempt::new(
            store,
            organization,
            key,
            lease,
        ))));
    }
    let Some(record) = idempotency_record::Entity::find_by_id((organization, key.to_owned()))
        .one(&tx)
        .await?
    else {
        // Deleted in between (expired, or freed by its abandoned attempt): again.
        tx.commit().await?;
        return Ok(None);
    };
    if record.request_hash != hash {
        tx.commit().await?;
        return Ok(Some(Claim::Mismatch));
    }
    if let (Some(status), Some(body)) = (record.status_code, record.response_body) {
        tx.commit().await?;
        return Ok(Some(Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
        }));
    }
    let dead = match (record.owner, record.lease) {
        _ if record.created_at < now - IN_FLIGHT => true,
        (Some(owner), Some(held)) => !store.leases.is_alive(&tx, owner, held).await?,
        // A claim from before owners were recorded: judged by its age alone.
        _ => false,
    };
    if !dead {
        tx.commit().await?;
        return Ok(Some(Claim::InFlight));
    }
    // Take the dead attempt's claim over, unless it changed meanwhile (another retry
    // took it over, or its attempt's clean-up deleted it): then look again.
    let taken = idempotency_record::Entity::update_many()
        .col_expr(idempotency_record::Column::CreatedAt, Expr::value(now))
        .col_expr(
            idempotency_record::Column::Owner,
            Expr::value(store.leases.owner()),
        )
        .col_expr(idempotency_record::Column::Lease, Expr::value(lease.id()))
        .filter(idempotency_record::Column::OrganizationId.eq(organization))
        .filter(idempotency_record::Column::Key.eq(key))
        .filter(idempotency_record::Column::StatusCode.is_null())
        .filter(idempotency_record::Column::CreatedAt.eq(record.created_at))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok((taken.rows_affected == 1)
        .then(|| Claim::Run(Attempt::new(store, organization, key, lease))))
}

/// The attempt that holds a claim: [`Attempt::complete`] stores its reply. Dropped
/// without that (its task aborted, its client gone, a panic), its lease ends, so a
/// retry in this process takes the claim over at once, and the claim is deleted in the
/// background, so a retry anywhere finds the key free.
#[derive(Debug)]
pub struct Attempt {
    store: Store,
    organization: Uuid,
    key: String,
    lease: Lease,
    completed: bool,
}

impl Attempt {
    fn new(store: &Store, organization: Uuid, key: &str, lease: Lease) -> Self {
        Self {
            store: store.clone(),
            organization,
            key: key.to_owned(),
            lease,
            completed: false,
        }
    }

    /// Stores the reply (or frees the key when the request failed on the server's
    /// side, so a retry runs it again). A claim another retry took over meanwhile is
    /// left to that retry.
    pub async fn complete(mut self, status: u16, body: &str) -> Result<()> {
        let tx = crate::write::begin_bookkeeping(&self.store, None).await?;
        if status >= 500 {
            self.mine(idempotency_record::Entity::delete_many())
                .exec(&tx)
                .await?;
        } else {
            self.mine(idempotency_record::Entity::update_many())
                .col_expr(
                    idempotency_record::Column::StatusCode,
                    Expr::value(i32::from(status)),
                )
                .col_expr(
                    idempotency_record::Column::ResponseBody,
                    Expr::value(body.to_owned()),
                )
                .col_expr(idempotency_record::Column::CompletedAt, Expr::value(now()))
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        self.completed = true;
        Ok(())
    }

    /// `query` limited to this attempt's claim.
    fn mine<Q: QueryFilter>(&self, query: Q) -> Q {
        query
            .filter(idempotency_record::Column::OrganizationId.eq(self.organization))
            .filter(idempotency_record::Column::Key.eq(self.key.as_str()))
            .filter(idempotency_record::Column::Lease.eq(self.lease.id()))
            .filter(idempotency_record::Column::StatusCode.is_null())
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.completed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = self.store.clone();
        let forget = self.mine(idempotency_record::Entity::delete_many());
        runtime.spawn(async move {
            let freed = async {
                let tx = crate::write::begin_bookkeeping(&store, None).await?;
                forget.exec(&tx).await?;
                tx.commit().await?;
                Ok::<_, Error>(())
            };
            if let Err(err) = freed.await {
                tracing::warn!(error = %err, "freeing the key of an abandoned attempt failed");
            }
        });
    }
}
