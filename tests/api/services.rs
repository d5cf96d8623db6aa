//! Services called directly, as the CLI and the demo call them: the day a change takes
//! effect is part of its input, so a test can pin it, and a service's change is announced to
//! subscribers (on its day) whoever calls it.

use chrono::NaiveDate;
use orgdesign_domain::{
    auth::RequestContext,
    error::Error,
    events::Event,
    store::Store,
    units::service::{
        UnitChanges, {self as units},
    },
};
use sea_orm::Database;
use uuid::Uuid;

use crate::helpers::on_each_backend;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::test]
async fn archiving_a_unit_is_judged_on_the_day_the_caller_gives() {
    on_each_backend(|app| async move {
        // A unit whose line to its superior ends on 2030-01-01.
        let org = app.create_org("pinned").await;
        let top = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let team = app.create_unit(&org, "Field marketing", "MARKETING").await;
        let line = app
            .add_line(&team, &top, "SOLID", "2024-01-01", Some("2030-01-01"))
            .await;
        assert!(line["errors"].is_null(), "{line}");
        let store = Store::new(Database::connect(&app.database_url).await.unwrap());
        let mut events = store.events.subscribe();
        let context = RequestContext::system("service-test");
        let writer = context.writer().unwrap();
        let archive = |version, on| UnitChanges {
            id: Uuid::parse_str(&team).unwrap(),
            version,
            effective_from: day(on),
            name: None,
            function: None,
            sourcing: None,
            description: None,
            archived: Some(true),
        };

        // The day before the line ends, it is still in effect: refused.
        let refused = units::update(&store, writer, archive(1, "2029-12-31")).await;
        assert!(
            matches!(&refused, Err(Error::Conflict { field: Some(f), .. }) if f == "archived"),
            "{refused:?}"
        );

        // On the day it ends, nothing holds the unit any more: archived.
        let archived = units::update(&store, writer, archive(1, "2030-01-01"))
            .await
            .unwrap();
        assert!(archived.archived);
        assert_eq!(archived.version, 2);

        // The change is dated 2030: nothing is announced when it is written. On its day
        // the announcement goes out once, through the store that announces it (on
        // SQLite through this store's bus; on PostgreSQL the bus publishes with NOTIFY,
        // which this store does not LISTEN to, so only the SQLite run can see it here).
        assert!(events.try_recv().is_err(), "announced before its day");
        let announced =
            orgdesign_domain::scheduled::announce_due(&store, &store.db, day("2030-01-01"))
                .await
                .unwrap();
        assert_eq!(announced, 1);
        if app.database_url.starts_with("sqlite") {
            let event = events.try_recv().unwrap();
            assert_eq!(
                event,
                Event::StructureChanged {
                    organization_id: Uuid::parse_str(&org).unwrap(),
                    operation: "updateUnit".to_owned(),
                    object_ids: vec![archived.id],
                    effective_on: Some(day("2030-01-01")),
                }
            );
        }
    })
    .await;
}
