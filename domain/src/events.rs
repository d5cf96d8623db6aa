//! Live events for subscriptions (the GraphQL schema's `SubscriptionRoot` listens
//! here): KPI points recorded, structure changed.
//!
//! On SQLite (one process) events go through an in-process broadcast channel. On
//! PostgreSQL every event is sent with `NOTIFY` and every server instance `LISTEN`s, so
//! a subscriber on one replica sees the writes of every replica (its own included: an
//! instance publishes only through the database, never straight to its subscribers,
//! so nothing is delivered twice).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel events travel on.
const CHANNEL: &str = "orgdesign_events";

/// How many events a slow subscriber may fall behind before it misses some.
const BUFFER: usize = 1_024;

/// Something subscribers may want to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// A push recorded new or corrected KPI points.
    KpiPointsRecorded {
        organization_id: Uuid,
        /// The KPI keys of the push.
        kpi_keys: Vec<String>,
        inserted: u64,
        corrected: u64,
    },
    /// A mutation changed an organization's structure.
    StructureChanged {
        organization_id: Uuid,
        /// The mutation, e.g. `addReportingLine`.
        operation: String,
        object_ids: Vec<Uuid>,
        /// The day the change took effect: the day it was written, or the later day it
        /// was dated for. Absent only in an event from a replica of an earlier version
        /// (during a rolling upgrade).
        #[serde(default)]
        effective_on: Option<chrono::NaiveDate>,
    },
}

impl Event {
    /// The organization the event is about.
    pub fn organization_id(&self) -> Uuid {
        match self {
            Self::KpiPointsRecorded {
                organization_id, ..
            }
            | Self::StructureChanged {
                organization_id, ..
            } => *organization_id,
        }
    }
}

/// Publishes events and hands out subscriptions.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    db: DatabaseConnection,
}

impl EventBus {
    /// A bus on `db`. On PostgreSQL, call [`EventBus::listen`] once to receive events.
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Self { sender, db }
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Publishes an event after its change committed. A failure is logged, not
    /// returned: the change stands, only the live notice is lost.
    pub async fn publish(&self, event: Event) {
        match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let payload = match serde_json::to_string(&event) {
                    Ok(payload) => payload,
                    Err(err) => {
                        tracing::error!(error = %err, "encoding an event failed");
                        return;
                    }
                };
                // NOTIFY payloads are limited to 8,000 bytes; a huge list of KPI keys
                // is cut rather than lost.
                let payload = if payload.len() > 7_900 {
                    serde_json::to_string(&trimmed(event)).unwrap_or_default()
                } else {
                    payload
                };
                let statement = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                );
                if let Err(err) = self.db.execute(statement).await {
                    tracing::warn!(error = %err, "publishing an event failed");
                }
            }
            _ => {
                // No receiver is not an error: nobody is subscribed.
                let _ = self.sender.send(event);
            }
        }
    }

    /// On PostgreSQL: forwards every notification of every instance to this instance's
    /// subscribers, reconnecting after a lost connection. Does nothing on SQLite.
    pub fn listen(&self) {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        let sender = self.sender.clone();
        tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(err) = listener.listen(CHANNEL).await {
                            tracing::warn!(error = %err, "LISTEN failed");
                        } else {
                            loop {
                                match listener.recv().await {
                                    Ok(notification) => {
                                        match serde_json::from_str::<Event>(notification.payload())
                                        {
                                            Ok(event) => {
                                                let _ = sender.send(event);
                                            }
                                            Err(err) => {
                                                tracing::warn!(error = %err, "an unreadable event")
                                            }
                                        }
                                    }
                                    Err(err) => {
                                        tracing::warn!(error = %err, "the event listener lost its connection");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "the event listener cannot connect"),
                }
                if sender.receiver_count() == 0 && pool.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

fn trimmed(event: Event) -> Event {
    match event {
        Event::KpiPointsRecorded {
            organization_id,
            inserted,
            corrected,
            mut kpi_keys,
        } => {
            kpi_keys.truncate(100);
            Event::KpiPointsRecorded {
                organization_id,
                kpi_keys,
                inserted,
                corrected,
            }
        }
        Event::StructureChanged {
            organization_id,
            operation,
            mut object_ids,
            effective_on,
        } => {
            object_ids.truncate(100);
            Event::StructureChanged {
                organization_id,
                operation,
                object_ids,
                effective_on,
            }
        }
    }
}
