//! Units and positions are dated like reporting lines: a change from a day on leaves
//! every earlier day as it was, every structural read takes `asOf`, and what cannot
//! hold on the dates given is refused with the field at fault.

use orgdesign_domain::{demo, settings::Limits};
use sea_orm::Database;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, field, on_each_backend};

const UPDATE_UNIT: &str = r#"mutation($i: UpdateUnitInput!) {
    updateUnit(input: $i) { id name sourcing version archived effectiveFrom effectiveTo } }"#;

const UNIT_ON: &str = r#"query($id: ID!, $day: NaiveDate) {
    unit(id: $id, asOf: $day) { name sourcing archived effectiveFrom effectiveTo } }"#;

/// The unit `id` as it stood on `day` (today when `None`).
async fn unit_on(app: &TestApp, id: &str, day: Option<&str>) -> Value {
    app.ok(UNIT_ON, json!({ "id": id, "day": day })).await["unit"].clone()
}

/// Changes the unit from `day` on; the whole GraphQL body.
async fn update_unit(app: &TestApp, id: &str, version: i64, day: &str, changes: Value) -> Value {
    let mut input = json!({ "id": id, "version": version, "effectiveFrom": day });
    input
        .as_object_mut()
        .unwrap()
        .extend(changes.as_object().unwrap().clone());
    app.graphql(UPDATE_UNIT, json!({ "i": input })).await
}

#[tokio::test]
async fn a_change_dated_in_the_future_leaves_today_as_it_is_and_later_versions_keep_their_own_changes()
 {
    on_each_backend(|app| async move {
        let org = app.create_org("dated").await;
        let unit = app.create_unit(&org, "Marketing", "MARKETING").await;

        // Renamed from 2031: today and 2030 keep the old name.
        let renamed = update_unit(&app, &unit, 1, "2031-01-01", json!({ "name": "Growth" })).await;
        assert!(renamed["errors"].is_null(), "{renamed}");
        assert_eq!(
            renamed["data"]["updateUnit"]["name"], "Growth",
            "shown as on its day"
        );
        assert_eq!(renamed["data"]["updateUnit"]["version"], 2);
        assert_eq!(unit_on(&app, &unit, None).await["name"], "Marketing");
        assert_eq!(
            unit_on(&app, &unit, Some("2030-12-31")).await["name"],
            "Marketing"
        );
        assert_eq!(
            unit_on(&app, &unit, Some("2031-01-01")).await["name"],
            "Growth"
        );

        // Outsourced from 2030: the 2031 version takes the new sourcing and keeps its
        // own name.
        let outsourced = update_unit(
            &app,
            &unit,
            2,
            "2030-01-01",
            json!({ "sourcing": "OUTSOURCED" }),
        )
        .await;
        assert!(outsourced["errors"].is_null(), "{outsourced}");
        let in_2030 = unit_on(&app, &unit, Some("2030-06-01")).await;
        assert_eq!(
            (&in_2030["name"], &in_2030["sourcing"]),
            (&json!("Marketing"), &json!("OUTSOURCED"))
        );
        let in_2031 = unit_on(&app, &unit, Some("2031-06-01")).await;
        assert_eq!(
            (&in_2031["name"], &in_2031["sourcing"]),
            (&json!("Growth"), &json!("OUTSOURCED"))
        );
        assert_eq!(unit_on(&app, &unit, None).await["sourcing"], "IN_HOUSE");

        // A rename from 2030 does not undo the rename 2031 made itself.
        let again = update_unit(&app, &unit, 3, "2030-01-01", json!({ "name": "Demand" })).await;
        assert!(again["errors"].is_null(), "{again}");
        assert_eq!(
            unit_on(&app, &unit, Some("2030-06-01")).await["name"],
            "Demand"
        );
        assert_eq!(
            unit_on(&app, &unit, Some("2031-06-01")).await["name"],
            "Growth"
        );

        // The organization's list on a day shows that day's names.
        let names = app
            .ok(
                r#"query($id: ID!) { organization(id: $id) {
                    today: units { name }
                    later: units(asOf: "2031-02-01") { name sourcing } } }"#,
                json!({ "id": org }),
            )
            .await["organization"]
            .clone();
        assert_eq!(names["today"], json!([{ "name": "Marketing" }]));
        assert_eq!(
            names["later"],
            json!([{ "name": "Growth", "sourcing": "OUTSOURCED" }])
        );
    })
    .await;
}

#[tokio::test]
async fn a_unit_exists_from_its_first_day_and_until_it_ends() {
    on_each_backend(|app| async move {
        let org = app.create_org("spans").await;
        let top = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let created = app
            .ok(
                r#"mutation($org: ID!) { createUnit(input: {
                    organizationId: $org, name: "Marketing center", function: MARKETING,
                    effectiveFrom: "2027-01-01" }) { id effectiveFrom archived } }"#,
                json!({ "org": org }),
            )
            .await["createUnit"]
            .clone();
        assert_eq!(created["effectiveFrom"], "2027-01-01");
        let center = created["id"].as_str().unwrap().to_owned();
        // Not there before its first day: `unit` is null and lists leave it out.
        assert_eq!(unit_on(&app, &center, Some("2026-12-31")).await, Value::Null);
        let lists = app
            .ok(
                r#"query($id: ID!) { organization(id: $id) {
                    before: units(asOf: "2026-06-01", includeArchived: true) { name }
                    after: units(asOf: "2027-01-01") { name }
                    chart(format: MERMAID, asOf: "2026-06-01") } }"#,
                json!({ "id": org }),
            )
            .await["organization"]
            .clone();
        assert_eq!(lists["before"], json!([{ "name": "Executive" }]));
        assert_eq!(lists["after"], json!([{ "name": "Executive" }, { "name": "Marketing center" }]));
        assert!(!lists["chart"].as_str().unwrap().contains("Marketing center"), "{lists}");

        // A line to it cannot start before it exists: the date is at fault.
        let early = app.add_line(&center, &top, "SOLID", "2026-06-01", None).await;
        assert_eq!(code(&early["errors"][0]), "BAD_USER_INPUT", "{early}");
        assert_eq!(field(&early["errors"][0]), "input.effectiveFrom", "{early}");
        let line = app.add_line(&center, &top, "SOLID", "2027-01-01", None).await;
        assert!(line["errors"].is_null(), "{line}");

        // It cannot end while the line continues; once the line ends, it can, on a
        // future day, and it stays in today's and 2027's lists until then.
        let refused = update_unit(&app, &center, 1, "2028-01-01", json!({ "archived": true })).await;
        assert_eq!(code(&refused["errors"][0]), "CONFLICT", "{refused}");
        let end_line = app
            .graphql(
                r#"mutation($id: ID!) { endReportingLine(input: {
                    id: $id, version: 1, effectiveTo: "2028-01-01" }) { id } }"#,
                json!({ "id": line["data"]["addReportingLine"]["id"] }),
            )
            .await;
        assert!(end_line["errors"].is_null(), "{end_line}");
        let ended = update_unit(&app, &center, 1, "2028-01-01", json!({ "archived": true })).await;
        assert!(ended["errors"].is_null(), "{ended}");
        assert_eq!(ended["data"]["updateUnit"]["effectiveTo"], "2028-01-01");
        assert_eq!(unit_on(&app, &center, Some("2027-12-31")).await["archived"], false);
        assert_eq!(unit_on(&app, &center, Some("2028-01-01")).await["archived"], true);

        // A line that would outlast it is refused on its end date.
        let outlasting = app.add_line(&center, &top, "DOTTED", "2027-02-01", None).await;
        assert_eq!(field(&outlasting["errors"][0]), "input.effectiveTo", "{outlasting}");
        // A position cannot head it before it exists.
        let position = app
            .graphql(
                r#"mutation($unit: ID!) { createPosition(input: {
                    unitId: $unit, title: "CMO", role: CMO, effectiveFrom: "2026-12-01" }) { id } }"#,
                json!({ "unit": center }),
            )
            .await;
        assert_eq!(field(&position["errors"][0]), "input.unitId", "{position}");
    })
    .await;
}

#[tokio::test]
async fn a_change_to_a_day_the_unit_does_not_exist_is_refused_and_changes_nothing() {
    on_each_backend(|app| async move {
        let org = app.create_org("outside").await;
        let unit = app.create_unit(&org, "Marketing", "MARKETING").await;
        // Units the tests create exist from 2000-01-01.
        let before = update_unit(&app, &unit, 1, "1999-12-31", json!({ "name": "Early" })).await;
        assert_eq!(code(&before["errors"][0]), "BAD_USER_INPUT", "{before}");
        assert_eq!(
            field(&before["errors"][0]),
            "input.effectiveFrom",
            "{before}"
        );
        let bad_day = update_unit(&app, &unit, 1, "2030-02-30", json!({ "name": "Later" })).await;
        assert_eq!(
            field(&bad_day["errors"][0]),
            "input.effectiveFrom",
            "{bad_day}"
        );
        let unchanged = unit_on(&app, &unit, Some("2035-01-01")).await;
        assert_eq!(unchanged["name"], "Marketing");
        // Nothing was written: version 1 still applies.
        let ok = update_unit(&app, &unit, 1, "2030-01-01", json!({ "name": "Later" })).await;
        assert!(ok["errors"].is_null(), "{ok}");
    })
    .await;
}

/// A demo organization's id, collaboration model, insight codes and chart on `day`.
const STANDING: &str = r#"query($slug: String, $day: NaiveDate) { organization(slug: $slug) {
    id
    collaborationModel(asOf: $day) { inferred }
    insights(asOf: $day) { code severity title evidence }
    chart(format: MERMAID, asOf: $day) } }"#;

const PROMOTE: &str = r#"mutation($id: ID!, $version: Int!) {
    promoteScenario(input: { scenarioId: $id, version: $version }) { status } }"#;

/// Promotes `draft` (its `id` and `version`), which must succeed.
async fn promote(app: &TestApp, draft: &Value) {
    let promoted = app
        .graphql(
            PROMOTE,
            json!({ "id": draft["id"], "version": draft["version"] }),
        )
        .await;
    assert!(promoted["errors"].is_null(), "{promoted}");
}

/// The demo's Northwind draft dated 2027-01-01, from a list of scenario edges.
fn northwind_draft(edges: &Value) -> Value {
    edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|d| d["name"] == "Independent marketing center")
        .expect("the demo's Northwind draft")
}

async fn standing(app: &TestApp, slug: &str, day: Option<&str>) -> Value {
    app.ok(STANDING, json!({ "slug": slug, "day": day })).await["organization"].clone()
}

#[tokio::test]
async fn promoting_a_draft_dated_in_the_future_leaves_today_and_earlier_days_as_they_were() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();
        let slug = "northwind-industrial";
        let today_before = standing(&app, slug, None).await;
        let past_before = standing(&app, slug, Some("2020-01-01")).await;
        let listed = app
            .ok(
                r#"query($slug: String) { organization(slug: $slug) {
                    scenarios(first: 10) { edges { node { id name version effectiveFrom } } } } }"#,
                json!({ "slug": slug }),
            )
            .await;
        let draft = northwind_draft(&listed["organization"]["scenarios"]["edges"]);
        assert_eq!(draft["effectiveFrom"], "2027-01-01");
        promote(&app, &draft).await;

        // Today, and 2020, read as before the promotion.
        assert_eq!(standing(&app, slug, None).await, today_before);
        let past = standing(&app, slug, Some("2020-01-01")).await;
        assert_eq!(past, past_before);
        assert!(
            !past["chart"].as_str().unwrap().contains("Marketing center"),
            "{past}"
        );
        assert_eq!(
            today_before["collaborationModel"]["inferred"],
            "REPORTS_TO_SALES"
        );

        // From its date, the structure is the draft's.
        let after = standing(&app, slug, Some("2027-01-02")).await;
        assert_eq!(
            after["collaborationModel"]["inferred"], "INDEPENDENT_MATRIX",
            "{after:#}"
        );
        let codes: Vec<&Value> = after["insights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["code"])
            .collect();
        assert!(
            !codes.contains(&&json!("MARKETING_REPORTS_TO_SALES")),
            "{codes:?}"
        );
        assert!(
            !codes.contains(&&json!("STRUCTURE_ORPHAN_UNITS")),
            "{codes:?}"
        );
        assert!(
            after["chart"]
                .as_str()
                .unwrap()
                .contains("Marketing center"),
            "{after}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_demo_dates_fjord_outdoors_outsourcing_and_meridians_reorganization() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();
        let model = |slug: &'static str, day: &'static str| {
            let app = &app;
            async move {
                app.ok(
                    r#"query($slug: String, $day: NaiveDate) { organization(slug: $slug) {
                        collaborationModel(asOf: $day) { inferred }
                        units(asOf: $day) { name sourcing } } }"#,
                    json!({ "slug": slug, "day": day }),
                )
                .await["organization"]
                    .clone()
            }
        };
        // Fjord Outdoor's marketing was in-house until the agency took it on 2023-09-01.
        let before = model("fjord-outdoor", "2023-08-31").await;
        let after = model("fjord-outdoor", "2023-09-01").await;
        assert_ne!(
            before["collaborationModel"]["inferred"], "OUTSOURCED",
            "{before:#}"
        );
        assert_eq!(
            after["collaborationModel"]["inferred"], "OUTSOURCED",
            "{after:#}"
        );
        assert!(
            before["units"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "Marketing", "sourcing": "IN_HOUSE" })),
            "{before:#}"
        );
        assert!(
            after["units"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "Brandwerk agency", "sourcing": "OUTSOURCED" })),
            "{after:#}"
        );
        // The pop-up project was set up in 2025.
        assert!(
            !before["units"].to_string().contains("Pop-up"),
            "{before:#}"
        );

        // Meridian: a CMO until the reorganization of 2023-12-01, the commercial
        // organization from then.
        let roles = |day: &'static str| {
            let app = &app;
            async move {
                app.ok(
                    r#"query($day: NaiveDate) { organization(slug: "meridian-logistics") {
                        positions(asOf: $day) { role } units(asOf: $day) { name } } }"#,
                    json!({ "day": day }),
                )
                .await["organization"]
                    .clone()
            }
        };
        let old = roles("2023-06-01").await;
        let new = roles("2024-06-01").await;
        assert!(old["positions"].to_string().contains("\"CMO\""), "{old}");
        assert!(!new["positions"].to_string().contains("\"CMO\""), "{new}");
        assert!(
            !old["units"].to_string().contains("Commercial and strategy"),
            "{old}"
        );
        assert!(
            new["units"].to_string().contains("Commercial and strategy"),
            "{new}"
        );
    })
    .await;
}

/// Inserts one row through sea-query, so each database gets its own placeholders and
/// value encoding (what the application itself writes).
async fn insert_row(db: &sea_orm::DatabaseConnection, table: &str, row: &[(&str, sea_orm::Value)]) {
    use sea_orm::{
        ConnectionTrait,
        sea_query::{Alias, Query},
    };
    let backend = db.get_database_backend();
    let (sql, values) = Query::insert()
        .into_table(Alias::new(table))
        .columns(row.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(row.iter().map(|(_, v)| v.clone().into()))
        .build_any(&*backend.get_query_builder());
    db.execute(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn the_migration_dates_existing_units_and_positions_without_losing_a_value() {
    use chrono::{TimeZone, Utc};
    use migration::{Migrator, MigratorTrait};
    use uuid::Uuid;

    for backend in crate::helpers::backends() {
        let (url, dir) = crate::helpers::fresh_database(backend).await;
        let db = Database::connect(&url).await.unwrap();
        // The schema as it was before units and positions were dated.
        let before_dating = Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m20261212_000009_dated_structure")
            .unwrap() as u32;
        Migrator::up(&db, Some(before_dating)).await.unwrap();

        let created = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let archived_at = Utc.with_ymd_and_hms(2026, 11, 20, 16, 30, 0).unwrap();
        let (org, top, team, gone, head) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let lifecycle = |updated| {
            [
                ("created_at", created.into()),
                ("updated_at", updated),
                ("version", 1.into()),
            ]
        };
        let mut organization: Vec<(&str, sea_orm::Value)> = vec![
            ("id", org.into()),
            ("slug", "legacy".into()),
            ("name", "Legacy".into()),
            ("archived", false.into()),
            ("structure_version", 0.into()),
        ];
        organization.extend(lifecycle(created.into()));
        insert_row(&db, "organization", &organization).await;
        for (id, name, archived, updated) in [
            (top, "Executive", false, created),
            (team, "Marketing", false, created),
            (gone, "Print shop", true, archived_at),
        ] {
            let mut row: Vec<(&str, sea_orm::Value)> = vec![
                ("id", id.into()),
                ("organization_id", org.into()),
                ("name", name.into()),
                ("function", "OTHER".into()),
                ("sourcing", "OUTSOURCED".into()),
                ("description", Some("kept as it was").into()),
                ("archived", archived.into()),
            ];
            row.extend(lifecycle(updated.into()));
            insert_row(&db, "org_unit", &row).await;
        }
        let mut line: Vec<(&str, sea_orm::Value)> = vec![
            ("id", Uuid::now_v7().into()),
            ("organization_id", org.into()),
            ("unit_id", team.into()),
            ("superior_unit_id", top.into()),
            ("kind", "SOLID".into()),
            (
                "effective_from",
                chrono::NaiveDate::from_ymd_opt(2021, 5, 1).into(),
            ),
        ];
        line.extend(lifecycle(created.into()));
        insert_row(&db, "reporting_line", &line).await;
        let mut position: Vec<(&str, sea_orm::Value)> = vec![
            ("id", head.into()),
            ("organization_id", org.into()),
            ("unit_id", team.into()),
            ("title", "Head of marketing".into()),
            ("role", "HEAD".into()),
            ("holder_name", Some("A. Lindqvist").into()),
            ("responsibilities", json!(["BRAND"]).into()),
            ("archived", false.into()),
        ];
        position.extend(lifecycle(created.into()));
        insert_row(&db, "position", &position).await;

        Migrator::up(&db, None).await.unwrap();

        let units = orgdesign_domain::units::service::of_organizations(&db, &[org])
            .await
            .unwrap();
        let days = |id: Uuid| {
            let h = units.iter().find(|h| h.row.id == id).unwrap();
            (
                h.row.effective_from.to_string(),
                h.row.effective_to.map(|d| d.to_string()),
                h.versions.len(),
            )
        };
        // Named by a line from 2021-05-01: both its units exist from then.
        assert_eq!(days(team), ("2021-05-01".into(), None, 1), "{backend:?}");
        assert_eq!(days(top), ("2021-05-01".into(), None, 1), "{backend:?}");
        // Named by no line: from its creation; archived: ends on its last change.
        assert_eq!(
            days(gone),
            ("2026-11-02".into(), Some("2026-11-20".into()), 1),
            "{backend:?}"
        );
        let on = |day: &str| orgdesign_domain::dated::on_day(&units, day.parse().unwrap());
        let marketing = on("2021-05-01").into_iter().find(|u| u.id == team).unwrap();
        assert_eq!(
            (
                marketing.name.as_str(),
                marketing.sourcing.as_str(),
                marketing.description.as_deref()
            ),
            ("Marketing", "OUTSOURCED", Some("kept as it was")),
            "{backend:?}"
        );
        assert!(
            on("2026-11-20").iter().any(|u| u.id == gone && u.archived),
            "{backend:?}"
        );
        assert!(
            !on("2026-11-19").iter().any(|u| u.id == gone && u.archived),
            "{backend:?}"
        );
        // The position exists from its unit's first day, its values intact.
        let positions = orgdesign_domain::positions::service::of_organizations(&db, &[org])
            .await
            .unwrap();
        let held = orgdesign_domain::dated::on_day(&positions, "2021-05-01".parse().unwrap());
        assert_eq!(held.len(), 1, "{backend:?}");
        assert_eq!(
            (
                held[0].title.as_str(),
                held[0].holder_name.as_deref(),
                &held[0].responsibilities
            ),
            ("Head of marketing", Some("A. Lindqvist"), &json!(["BRAND"])),
            "{backend:?}"
        );

        // And back: the flag returns where a unit had ended.
        let dated_and_after = Migrator::migrations().len() as u32 - before_dating;
        Migrator::down(&db, Some(dated_and_after)).await.unwrap();
        db.close().await.unwrap();
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[tokio::test]
async fn a_change_dated_later_is_told_as_scheduled_then_announced_once_on_its_day() {
    use std::time::Duration;

    use orgdesign_domain::{scheduled, store::Store};

    use crate::helpers::wait_for;

    for backend in crate::helpers::backends() {
        let (app, receiver) = with_receiver(backend).await;
        let org = app.create_org("scheduled").await;
        listen(
            &app,
            &receiver,
            &org,
            &["structure.changed", "structure.scheduled"],
        )
        .await;
        let unit = app.create_unit(&org, "Marketing", "MARKETING").await;
        let renamed = update_unit(&app, &unit, 1, "2031-01-01", json!({ "name": "Growth" })).await;
        assert!(renamed["errors"].is_null(), "{renamed}");

        let of_type = |kind: &str| -> Vec<Value> {
            receiver
                .accepted()
                .into_iter()
                .filter(|r| r.body["type"] == kind)
                .map(|r| r.body["data"].clone())
                .collect()
        };
        // Written today: the creation is a change, the rename is scheduled.
        let scheduled_data = wait_for("structure.scheduled", Duration::from_secs(20), || async {
            of_type("structure.scheduled").pop()
        })
        .await;
        assert_eq!(scheduled_data["operation"], "updateUnit", "{backend:?}");
        assert_eq!(scheduled_data["effectiveOn"], "2031-01-01", "{backend:?}");
        let changed_today = of_type("structure.changed");
        assert_eq!(changed_today.len(), 1, "{backend:?}: {changed_today:?}");
        assert_eq!(changed_today[0]["operation"], "createUnit", "{backend:?}");

        // Two replicas look on the day before and on the day: one announces it.
        let (a, b) = (
            Store::new(Database::connect(&app.database_url).await.unwrap()),
            Store::new(Database::connect(&app.database_url).await.unwrap()),
        );
        let eve = "2030-12-31".parse().unwrap();
        assert_eq!(
            scheduled::announce_due(&a, &a.db, eve).await.unwrap(),
            0,
            "{backend:?}"
        );
        let day = "2031-01-01".parse().unwrap();
        let (first, second) = tokio::join!(
            scheduled::announce_due(&a, &a.db, day),
            scheduled::announce_due(&b, &b.db, day)
        );
        assert_eq!(
            first.unwrap() + second.unwrap(),
            1,
            "{backend:?}: announced once"
        );
        assert_eq!(
            scheduled::announce_due(&b, &b.db, day).await.unwrap(),
            0,
            "{backend:?}"
        );
        let announced = wait_for(
            "the rename's structure.changed",
            Duration::from_secs(20),
            || async {
                let all = of_type("structure.changed");
                (all.len() >= 2).then_some(all)
            },
        )
        .await;
        // Give a second delivery a chance to show up if there were one.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let announced_again = of_type("structure.changed");
        assert_eq!(announced_again.len(), 2, "{backend:?}: {announced_again:?}");
        assert_eq!(announced[1]["operation"], "updateUnit", "{backend:?}");
        assert_eq!(announced[1]["effectiveOn"], "2031-01-01", "{backend:?}");
        assert_eq!(announced[1]["objectIds"], json!([unit]), "{backend:?}");
    }
}

#[tokio::test]
async fn the_changes_between_two_days_list_what_the_structure_gained_lost_and_changed() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();
        let report = |slug: &'static str, from: &'static str, to: &'static str| {
            let app = &app;
            async move {
                app.ok(
                    r#"query($slug: String, $from: NaiveDate!, $to: NaiveDate!) {
                        organization(slug: $slug) { structureChanges(from: $from, to: $to) {
                            empty
                            unitsAdded { name } unitsArchived { name }
                            unitsMoved { unit { name } from { name } to { name } }
                            unitsChanged { unit { name } nameBefore nameAfter sourcingBefore sourcingAfter }
                            positionsAdded { title } positionsEnded { title role }
                            positionsChanged { position { title } holderChanged }
                            linesAdded { kind } linesEnded { kind }
                            collaborationModel { before after } } } }"#,
                    json!({ "slug": slug, "from": from, "to": to }),
                )
                .await["organization"]["structureChanges"]
                .clone()
            }
        };
        // Meridian's reorganization of 2023-12-01: the commercial organization arrives,
        // the CMO goes, marketing, sales and product move under it.
        let meridian = report("meridian-logistics", "2023-06-01", "2024-06-01").await;
        assert_eq!(meridian["empty"], false);
        assert_eq!(meridian["unitsAdded"], json!([{ "name": "Commercial and strategy" }]));
        assert_eq!(meridian["positionsEnded"], json!([{ "title": "Chief Marketing Officer", "role": "CMO" }]));
        let added_titles = meridian["positionsAdded"].to_string();
        assert!(added_titles.contains("Chief Commercial and Strategy Officer"), "{meridian:#}");
        let moved: Vec<&Value> = meridian["unitsMoved"].as_array().unwrap().iter().map(|m| &m["unit"]["name"]).collect();
        for unit in ["Marketing", "Sales", "Product management"] {
            assert!(moved.contains(&&json!(unit)), "{unit} moved: {meridian:#}");
        }
        assert_eq!(meridian["collaborationModel"]["after"], "COMMERCIAL_LEADERSHIP", "{meridian:#}");
        // Fjord Outdoor's marketing, outsourced on 2023-09-01.
        let fjord = report("fjord-outdoor", "2023-01-01", "2024-01-01").await;
        assert_eq!(
            fjord["unitsChanged"],
            json!([{ "unit": { "name": "Brandwerk agency" }, "nameBefore": "Marketing", "nameAfter": "Brandwerk agency",
                     "sourcingBefore": "IN_HOUSE", "sourcingAfter": "OUTSOURCED" }]),
            "{fjord:#}"
        );
        // Two days with nothing between them; and a `to` before `from`.
        assert_eq!(report("fjord-outdoor", "2024-01-01", "2024-02-01").await["empty"], true);
        let backwards = app
            .error(
                r#"{ organization(slug: "fjord-outdoor") { structureChanges(from: "2024-02-01", to: "2024-01-01") { empty } } }"#,
                json!({}),
            )
            .await;
        assert_eq!((code(&backwards), field(&backwards)), ("BAD_USER_INPUT", "to"), "{backwards}");

        // The same report as CSV.
        let csv = app
            .get_admin("/api/v1/organizations/fjord-outdoor/structure-changes.csv?from=2023-01-01&to=2024-01-01")
            .await;
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("change,id,name,field,before,after"));
        let rows: Vec<&str> = lines.collect();
        assert!(rows.iter().any(|r| r.starts_with("unit_changed,") && r.ends_with(",Brandwerk agency,sourcing,IN_HOUSE,OUTSOURCED")), "{text}");
        assert!(rows.iter().any(|r| r.ends_with(",Brandwerk agency,name,Marketing,Brandwerk agency")), "{text}");
        let missing = app
            .get_admin("/api/v1/organizations/fjord-outdoor/structure-changes.csv?from=2023-01-01")
            .await;
        assert_eq!(missing.status(), 400);
        let body: Value = missing.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["field"], "to", "{body}");
    })
    .await;
}

#[tokio::test]
async fn promoting_a_draft_dated_later_raises_no_insight_today() {
    use std::time::Duration;

    use sea_orm::EntityTrait;

    use crate::helpers::wait_for;

    for backend in crate::helpers::backends() {
        let (app, receiver) = with_receiver(backend).await;
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();
        let northwind = standing(&app, "northwind-industrial", None).await;
        let org = northwind["id"].as_str().unwrap().to_owned();
        // Listening to insights takes the baseline: today's insights, told to no one.
        let events = ["insight.raised", "insight.resolved", "scenario.promoted"];
        listen(&app, &receiver, &org, &events).await;
        let listed = app
            .ok(
                r#"query($slug: String) { organization(slug: $slug) {
                    scenarios(first: 10) { edges { node { id name version } } } } }"#,
                json!({ "slug": "northwind-industrial" }),
            )
            .await;
        let draft = northwind_draft(&listed["organization"]["scenarios"]["edges"]);
        promote(&app, &draft).await;
        // The promotion marks the insights for evaluation; wait until the worker has
        // evaluated them (the watch is next due tomorrow), then look at what it sent.
        let organization: uuid::Uuid = org.parse().unwrap();
        let tomorrow = chrono::Utc::now().date_naive().succ_opt().unwrap();
        wait_for(
            "the insights evaluated after the promotion",
            Duration::from_secs(20),
            || async {
                let watch = entity::webhook_insight_watch::Entity::find_by_id(organization)
                    .one(&db)
                    .await
                    .unwrap()?;
                (watch.due_at.date_naive() >= tomorrow).then_some(())
            },
        )
        .await;
        wait_for(
            "scenario.promoted delivered",
            Duration::from_secs(20),
            || async {
                receiver
                    .accepted()
                    .iter()
                    .any(|r| r.body["type"] == "scenario.promoted")
                    .then_some(())
            },
        )
        .await;
        let insight_events: Vec<Value> = receiver
            .accepted()
            .into_iter()
            .filter(|r| r.body["type"] != "scenario.promoted")
            .map(|r| r.body)
            .collect();
        assert_eq!(insight_events, Vec::<Value>::new(), "{backend:?}");
    }
}

/// A server whose webhook worker may deliver to this machine's receivers and looks
/// every 50 ms, and a receiver.
async fn with_receiver(
    backend: crate::helpers::Backend,
) -> (TestApp, crate::helpers::receiver::Receiver) {
    let app = crate::helpers::spawn_app_with(backend, |settings| {
        settings.webhooks.allow_http = true;
        settings.webhooks.allow_hosts = vec!["127.0.0.1".to_owned()];
        settings.webhooks.poll_interval_ms = 50;
    })
    .await;
    (app, crate::helpers::receiver::Receiver::start().await)
}

/// Points an endpoint of `org` listening to `events` at `receiver`.
async fn listen(
    app: &TestApp,
    receiver: &crate::helpers::receiver::Receiver,
    org: &str,
    events: &[&str],
) {
    let created = app
        .ok(
            r#"mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
                secret } }"#,
            json!({ "i": { "organizationId": org, "url": format!("{}/hooks", receiver.url),
                           "events": events } }),
        )
        .await;
    receiver.add_secret(created["createWebhookEndpoint"]["secret"].as_str().unwrap());
}

/// Northwind's "Independent marketing center", dated 2027-01-01, promoted on a server
/// whose clock reads today; then two servers on the same PostgreSQL whose clocks are
/// moved to that day (`clock_today`, a rehearsal) look for due changes at once. The
/// change is announced once: one `structure.changed` webhook with its day, one event
/// to a subscriber on a third server, and marketing under sales resolved once.
#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_promotion_dated_later_is_announced_once_by_two_servers_whose_clock_reaches_its_day() {
    use std::time::Duration;

    use crate::{
        helpers::{
            Backend, SendJson, ServerProcess, fresh_database, receiver::Receiver, require_postgres,
            wait_for,
        },
        subscriptions::{Heard, connected, expect_message, first_message, hear, subscribe},
    };

    require_postgres("two server processes share one database only on PostgreSQL");
    let (url, _) = fresh_database(Backend::Postgres).await;
    const HOOKS: [(&str, &str); 3] = [
        ("ORGDESIGN_WEBHOOKS__ALLOW_HTTP", "true"),
        ("ORGDESIGN_WEBHOOKS__ALLOW_HOSTS", "127.0.0.1"),
        ("ORGDESIGN_WEBHOOKS__POLL_INTERVAL_MS", "50"),
    ];
    // Today's server answers the API; its worker is off, so it never looks at the
    // insights with today's clock while the rehearsal looks with the moved one.
    let mut today_env = HOOKS.to_vec();
    today_env.push(("ORGDESIGN_WEBHOOKS__WORKER", "false"));
    let today = ServerProcess::start_with_env(&url, &today_env);
    // It has applied the migrations; the demo goes in beside it.
    let db = Database::connect(&url).await.unwrap();
    demo::load(&db, &Limits::default()).await.unwrap();
    let admin = today.admin_token();
    let client = reqwest::Client::new();
    let gql = |address: &str, query: &str, variables: Value| {
        client
            .post(format!("{address}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": query, "variables": variables }))
            .send_json()
    };
    let found: Value = gql(
        &today.address,
        r#"query { organization(slug: "northwind-industrial") { id
            units { id version }
            scenarios(first: 10) { edges { node { id name version } } } } }"#,
        json!({}),
    )
    .await;
    let northwind = &found["data"]["organization"];
    let org = northwind["id"].as_str().unwrap().to_owned();
    let draft = northwind_draft(&northwind["scenarios"]["edges"]);

    let receiver = Receiver::start().await;
    let created: Value = gql(
        &today.address,
        r#"mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
            secret } }"#,
        json!({ "i": { "organizationId": org, "url": format!("{}/hooks", receiver.url),
                       "events": ["structure.changed", "structure.scheduled",
                                  "insight.raised", "insight.resolved"] } }),
    )
    .await;
    receiver.add_secret(
        created["data"]["createWebhookEndpoint"]["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}")),
    );

    let promoted: Value = gql(
        &today.address,
        PROMOTE,
        json!({ "id": draft["id"], "version": draft["version"] }),
    )
    .await;
    assert!(promoted["errors"].is_null(), "{promoted}");

    // A subscriber on today's server, shown live by a change made today.
    let mut socket = connected(&today.address, &admin).await;
    subscribe(
        &mut socket,
        "1",
        "subscription($o: ID!) { structureChanged(organizationId: $o) { operation effectiveOn } }",
        json!({ "o": org }),
    )
    .await;
    // (A description: it changes neither the model nor the insights.)
    let described = &northwind["units"][0];
    let (live, _) = first_message(&mut socket, "a change made today", |n| {
        let version = described["version"].as_i64().unwrap() + i64::from(n);
        let changed = gql(
            &today.address,
            UPDATE_UNIT,
            json!({ "i": { "id": described["id"], "version": version,
                           "description": format!("Checked {n} time(s)") } }),
        );
        async move {
            let changed = changed.await;
            assert!(changed["errors"].is_null(), "{changed}");
        }
    })
    .await;
    let real_today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(
        live["payload"]["data"]["structureChanged"]["effectiveOn"], real_today,
        "{live}"
    );
    // Drain the events of any further triggers.
    while let Heard::Message(_) = hear(&mut socket, Duration::from_millis(300)).await {}

    // The rehearsal: two servers whose clocks read the change's day start together
    // and race for it.
    let mut moved_env = HOOKS.to_vec();
    moved_env.push(("ORGDESIGN_CLOCK_TODAY", "2027-01-01"));
    let rehearsals = [
        ServerProcess::start_with_env(&url, &moved_env),
        ServerProcess::start_with_env(&url, &moved_env),
    ];
    let of_type = |received: &[crate::helpers::receiver::Received], kind: &str| -> Vec<Value> {
        received
            .iter()
            .filter(|r| r.body["type"] == kind)
            .map(|r| r.body["data"].clone())
            .collect()
    };
    let on_the_day = |received: &[crate::helpers::receiver::Received]| -> Vec<Value> {
        of_type(received, "structure.changed")
            .into_iter()
            .filter(|data| data["effectiveOn"] == "2027-01-01")
            .collect()
    };
    let under_sales_resolved = |received: &[crate::helpers::receiver::Received]| -> Vec<Value> {
        of_type(received, "insight.resolved")
            .into_iter()
            .filter(|data| data["insight"]["code"] == "MARKETING_REPORTS_TO_SALES")
            .map(|data| data["insight"]["title"].clone())
            .collect()
    };
    // The promotion holds several changes, each kept to be announced on its day.
    let kept = {
        use sea_orm::EntityTrait;
        entity::scheduled_change::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len()
    };
    assert!(kept > 0);
    wait_for(
        "every change told as scheduled and announced, and marketing under sales resolved",
        Duration::from_secs(30),
        || async {
            let got = receiver.accepted();
            (of_type(&got, "structure.scheduled").len() >= kept
                && on_the_day(&got).len() >= kept
                && !under_sales_resolved(&got).is_empty())
            .then_some(())
        },
    )
    .await;
    let scheduled: Vec<(Value, Value)> = of_type(&receiver.accepted(), "structure.scheduled")
        .into_iter()
        .map(|data| {
            assert_eq!(data["effectiveOn"], "2027-01-01", "{data}");
            (data["operation"].clone(), data["objectIds"].clone())
        })
        .collect();
    assert_eq!(scheduled.len(), kept);
    for n in 0..scheduled.len() {
        let event =
            expect_message(&mut socket, &format!("announcement {n} on today's server")).await;
        assert_eq!(
            event["payload"]["data"]["structureChanged"]["effectiveOn"], "2027-01-01",
            "{event}"
        );
    }

    // Both rehearsal servers finish two more rounds of their worker: each has looked
    // for due changes after the announcements, and found nothing left to announce.
    let rounds = |address: String| async move {
        let text = reqwest::get(format!("{address}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("orgdesign_worker_rounds_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no worker rounds in /metrics:\n{text}"))
    };
    for server in &rehearsals {
        let seen = rounds(server.address.clone()).await;
        wait_for(
            "two more rounds of the worker",
            Duration::from_secs(10),
            || async { (rounds(server.address.clone()).await >= seen + 2).then_some(()) },
        )
        .await;
    }
    let got = receiver.accepted();
    receiver.assert_all_verified();
    // Each scheduled change announced exactly once, with its day.
    let mut announced: Vec<(Value, Value)> = on_the_day(&got)
        .into_iter()
        .map(|data| (data["operation"].clone(), data["objectIds"].clone()))
        .collect();
    let mut expected = scheduled.clone();
    let key = |pair: &(Value, Value)| pair.0.to_string() + &pair.1.to_string();
    announced.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(announced, expected, "each scheduled change announced once");
    // Each unit marketing reported to sales under is resolved, once.
    let mut resolved = under_sales_resolved(&got);
    let told = resolved.len();
    resolved.sort_by_key(Value::to_string);
    resolved.dedup();
    assert_eq!(told, resolved.len(), "resolved once each: {resolved:?}");
    assert!(!resolved.is_empty());
    // No insight was raised or resolved for any day but the rehearsal's.
    for data in of_type(&got, "insight.raised")
        .into_iter()
        .chain(of_type(&got, "insight.resolved"))
    {
        assert_eq!(data["asOf"], "2027-01-01", "{data}");
    }
    match hear(&mut socket, Duration::from_millis(500)).await {
        Heard::Silence(_) => {}
        other => panic!("a second announcement reached the subscriber: {other}"),
    }
    // Today's server, asked about today, still sees marketing under sales.
    let standing_today: Value = gql(
        &today.address,
        r#"query { organization(slug: "northwind-industrial") {
            collaborationModel { inferred } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        standing_today["data"]["organization"]["collaborationModel"]["inferred"],
        "REPORTS_TO_SALES",
        "{standing_today}"
    );
}
