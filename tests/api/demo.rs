//! The demo goes through the services: every row it writes has its audit entry under
//! the demo's actor, as a change made over the API would.

use std::collections::{BTreeMap, HashSet};

use orgdesign_domain::{demo, settings::Limits};
use sea_orm::Database;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_each_backend};

const ORGANIZATION: &str = r#"query($slug: String) { organization(slug: $slug) {
    id
    units(includeArchived: true) { id lineHistory { id } }
    positions(includeArchived: true) { id }
    stakeholders { id }
    relationships { id }
    priorities { history { id } }
    maturity { history { id } } } }"#;

const AUDIT_PAGE: &str = r#"query($org: ID!, $after: String) {
    auditLog(organizationId: $org, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { actor operation objectIds } } } }"#;

/// Every audit entry of an organization, page by page (bounded: the demo writes a few
/// hundred at most).
async fn audit_log(app: &TestApp, organization: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after = Value::Null;
    for _ in 0..20 {
        let page = app
            .ok(AUDIT_PAGE, json!({ "org": organization, "after": after }))
            .await["auditLog"]
            .clone();
        entries.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return entries;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    panic!("the audit log of {organization} did not end within 20 pages");
}

/// The ids under `pointer` of every item of the list at `list` in `value`.
fn ids(value: &Value, list: &str, pointer: &str) -> Vec<String> {
    value[list]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|item| match item.pointer(pointer) {
            Some(Value::Array(nested)) => nested
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect(),
            Some(Value::String(id)) => vec![id.clone()],
            _ => panic!("no {pointer} in {item}"),
        })
        .collect()
}

#[tokio::test]
async fn every_row_the_demo_writes_has_an_audit_entry_under_the_demo_actor() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();

        // What each organization's audit log must list, at least this many times.
        let expected: [(&str, &[(&str, usize)]); 4] = [
            (
                "northwind-industrial",
                &[("declareStage", 1), ("recordKpiMeasurements", 1)],
            ),
            (
                "lumen-health",
                &[
                    ("declareStage", 1),
                    ("assessPriority", 4),
                    ("createStakeholder", 3),
                    ("createRelationship", 3),
                    ("setKpiTarget", 24),
                    ("recordKpiMeasurements", 1),
                ],
            ),
            ("fjord-outdoor", &[("declareStage", 1)]),
            (
                "meridian-logistics",
                &[
                    ("declareStage", 1),
                    ("assessPriority", 4),
                    ("updatePosition", 1),
                ],
            ),
        ];
        for (slug, operations) in expected {
            let org = app.ok(ORGANIZATION, json!({ "slug": slug })).await["organization"].clone();
            let log = audit_log(&app, org["id"].as_str().unwrap()).await;

            let actors: HashSet<&str> = log.iter().map(|e| e["actor"].as_str().unwrap()).collect();
            assert_eq!(actors, HashSet::from(["orgdesign-demo"]), "{slug}");
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for entry in &log {
                *counts
                    .entry(entry["operation"].as_str().unwrap())
                    .or_default() += 1;
            }
            for (operation, at_least) in operations {
                let n = counts.get(operation).copied().unwrap_or(0);
                assert!(
                    n >= *at_least,
                    "{slug}: {n} {operation} entries, expected {at_least}+; log: {counts:?}"
                );
            }

            let audited: HashSet<String> = log
                .iter()
                .flat_map(|e| e["objectIds"].as_array().unwrap().iter())
                .map(|id| id.as_str().unwrap().to_owned())
                .collect();
            let rows = [
                vec![org["id"].as_str().unwrap().to_owned()],
                ids(&org, "units", "/id"),
                ids(&org, "units", "/lineHistory"),
                ids(&org, "positions", "/id"),
                ids(&org, "stakeholders", "/id"),
                ids(&org, "relationships", "/id"),
                ids(&org, "priorities", "/history"),
                ids(&org["maturity"], "history", "/id"),
            ]
            .concat();
            assert!(rows.len() > 5, "{slug}: the demo wrote hardly anything");
            let unaudited: Vec<&String> = rows.iter().filter(|id| !audited.contains(*id)).collect();
            assert!(
                unaudited.is_empty(),
                "{slug}: rows without an audit entry: {unaudited:?}"
            );
        }
    })
    .await;
}
