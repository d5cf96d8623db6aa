//! An organization whose insights are watched for webhooks, and when they are due to
//! be evaluated again.

use sea_orm::entity::prelude::*;

/// An organization whose insights are watched for webhooks, and when they are due to
/// be evaluated again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_insight_watch")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub due_at: DateTimeUtc,
    pub evaluated_at: Option<DateTimeUtc>,
}

plain_entity!();
