//! Scenarios: drafting a reorganization, what it would change, promoting it.

use orgdesign_domain::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, Trio, code, codes, field, on_each_backend};

const SCENARIOS: &str = r#"query($slug: String) { organization(slug: $slug) {
    id
    collaborationModel { inferred }
    insights { code }
    scenarios(first: 10) { totalCount edges { node { id name status version } } } } }"#;

const DIFF: &str = r#"query($id: ID!) { scenario(id: $id) {
    id status version
    changes { index kind }
    insights { code }
    collaborationModel { inferred }
    diff {
        empty
        unitsAdded { id key name }
        unitsMoved { unit { id name } from { id name } to { id name } }
        linesAdded { kind }
        linesEnded { kind }
        shape { before { maxDepth maxSpan units } after { maxDepth maxSpan units } }
        changedUnits { unit { name } spanBefore spanAfter depthBefore depthAfter }
        collaborationModel { before after branches { unit { name } before after } }
        insightsResolved { code }
        insightsIntroduced { code }
        kpiOwnership { unit { name } series { kpi points } branchBefore { name } branchAfter { name } archived }
    }
    chart(format: MERMAID)
} }"#;

const PROMOTE: &str = r#"mutation($id: ID!, $version: Int!) {
    promoteScenario(input: { scenarioId: $id, version: $version }) { id status version } }"#;

const ADD: &str = r#"mutation($id: ID!, $version: Int!, $changes: [ScenarioChangeInput!]!) {
    addScenarioChanges(input: { scenarioId: $id, version: $version, changes: $changes }) {
        id version changes { index kind } } }"#;

const CREATE: &str = r#"mutation($org: ID!, $name: String!, $from: NaiveDate!) {
    createScenario(input: { organizationId: $org, name: $name, effectiveFrom: $from }) {
        id version status } }"#;

/// The demo scenario of `slug` called `name`.
async fn demo_scenario(app: &TestApp, slug: &str, name: &str) -> Value {
    let data = app.ok(SCENARIOS, json!({ "slug": slug })).await;
    data["organization"]["scenarios"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name:?} in {data:#}"))
}

/// Drafts a scenario `name` of `org` effective `from`: what `createScenario` answers.
async fn draft(app: &TestApp, org: &str, name: &str, from: &str) -> Value {
    app.ok(CREATE, json!({ "org": org, "name": name, "from": from }))
        .await["createScenario"]
        .take()
}

/// Adds `changes` to `draft` at its version: what `addScenarioChanges` answers.
async fn add(app: &TestApp, draft: &Value, changes: Value) -> Value {
    let variables = json!({ "id": draft["id"], "version": draft["version"], "changes": changes });
    app.ok(ADD, variables).await["addScenarioChanges"].take()
}

/// `draft` as `DIFF` reads it.
async fn scenario(app: &TestApp, draft: &Value) -> Value {
    app.ok(DIFF, json!({ "id": draft["id"] })).await["scenario"].take()
}

#[tokio::test]
async fn the_northwind_center_draft_resolves_marketing_under_sales_and_promoting_it_changes_the_live_model()
 {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let live = app
            .ok(SCENARIOS, json!({ "slug": "northwind-industrial" }))
            .await["organization"]
            .clone();
        assert_eq!(live["collaborationModel"]["inferred"], "REPORTS_TO_SALES");
        assert_eq!(live["scenarios"]["totalCount"], 2, "{live:#}");
        let draft = demo_scenario(&app, "northwind-industrial", "Independent marketing center").await;

        // The diff: what the draft resolves, and the model after.
        let scenario = scenario(&app, &draft).await;
        let diff = &scenario["diff"];
        let resolved = codes(&diff["insightsResolved"]);
        assert!(resolved.contains(&"MARKETING_REPORTS_TO_SALES"), "{diff:#}");
        assert!(resolved.contains(&"MARKETING_DUPLICATED_ACROSS_UNITS"), "{diff:#}");
        assert!(!codes(&diff["insightsIntroduced"]).contains(&"MARKETING_REPORTS_TO_SALES"));
        let after = diff["collaborationModel"]["after"].as_str().unwrap();
        assert!(matches!(after, "INDEPENDENT" | "INDEPENDENT_MATRIX"), "{diff:#}");
        assert_eq!(diff["collaborationModel"]["before"], "REPORTS_TO_SALES");
        assert_eq!(scenario["collaborationModel"]["inferred"], after);
        assert_eq!(diff["unitsAdded"][0]["key"], "marketing-center");
        let moved: Vec<&str> = diff["unitsMoved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["unit"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(moved.len(), 2, "{diff:#}");
        assert!(moved.contains(&"Pumps marketing") && moved.contains(&"Valves marketing"));
        for m in diff["unitsMoved"].as_array().unwrap() {
            assert_eq!(m["to"]["name"], "Marketing center");
        }
        assert_eq!(diff["shape"]["after"]["units"], 9);
        assert_eq!(diff["shape"]["before"]["units"], 8);
        assert!(scenario["chart"].as_str().unwrap().contains("Marketing center"));
        // Nothing live changed by drafting or evaluating.
        let still = app
            .ok(SCENARIOS, json!({ "slug": "northwind-industrial" }))
            .await["organization"]
            .clone();
        assert_eq!(still["collaborationModel"]["inferred"], "REPORTS_TO_SALES");

        // Promote: the live model changes, one audit entry per change names the draft.
        let promoted = app
            .ok(PROMOTE, json!({ "id": draft["id"], "version": draft["version"] }))
            .await["promoteScenario"]
            .clone();
        assert_eq!(promoted["status"], "PROMOTED");
        // The live structure on the draft's date is the scenario's now.
        let from = app
            .ok(
                r#"query($id: ID!) { scenario(id: $id) { effectiveFrom } }"#,
                json!({ "id": draft["id"] }),
            )
            .await["scenario"]["effectiveFrom"]
            .clone();
        let on_the_day = app
            .ok(
                r#"query($slug: String, $on: NaiveDate) { organization(slug: $slug) {
                    id collaborationModel(asOf: $on) { inferred } insights(asOf: $on) { code } } }"#,
                json!({ "slug": "northwind-industrial", "on": from }),
            )
            .await["organization"]
            .clone();
        assert_eq!(on_the_day["collaborationModel"]["inferred"], after);
        assert!(!codes(&on_the_day["insights"]).contains(&"MARKETING_REPORTS_TO_SALES"));
        let log = app
            .ok(
                r#"query($org: ID!) { auditLog(organizationId: $org, first: 50) {
                    edges { node { operation objectIds } } } }"#,
                json!({ "org": live["id"] }),
            )
            .await["auditLog"]["edges"]
            .clone();
        let scenario_id = draft["id"].as_str().unwrap();
        let naming: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .filter(|n| {
                n["objectIds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|id| id == scenario_id)
            })
            .map(|n| n["operation"].as_str().unwrap())
            .collect();
        let changes = scenario["changes"].as_array().unwrap().len();
        // One entry per change, plus the promotion itself (and the draft's own
        // createScenario / addScenarioChanges entries).
        let per_change = naming
            .iter()
            .filter(|op| {
                !matches!(
                    **op,
                    "promoteScenario" | "createScenario" | "addScenarioChanges"
                )
            })
            .count();
        assert_eq!(per_change, changes, "{naming:?}");
        assert!(naming.contains(&"promoteScenario"));

        // A second promotion is refused.
        let again = app
            .error(PROMOTE, json!({ "id": draft["id"], "version": promoted["version"] }))
            .await;
        assert_eq!(code(&again), "CONFLICT", "{again}");
        // The other draft was drafted on the old structure: CONFLICT naming what changed.
        let other = demo_scenario(&app, "northwind-industrial", "Sales reports to marketing").await;
        let stale = app
            .error(PROMOTE, json!({ "id": other["id"], "version": other["version"] }))
            .await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        assert!(
            stale["message"].as_str().unwrap().contains("rebase"),
            "{stale}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refused_change_names_its_index_and_field_and_stores_nothing() {
    on_each_backend(|app| async move {
        let org = app.create_org("cycles").await;
        let ceo = app.create_unit(&org, "CEO office", "EXECUTIVE").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        let brand = app.create_unit(&org, "Brand", "MARKETING").await;
        app.add_line(&marketing, &ceo, "SOLID", "2024-01-01", None)
            .await;
        app.add_line(&brand, &marketing, "SOLID", "2024-01-01", None)
            .await;
        let draft = draft(&app, &org, "Loop", "2030-01-01").await;
        let error = app
            .error(
                ADD,
                json!({ "id": draft["id"], "version": draft["version"], "changes": [
                { "updateUnit": { "unitId": brand, "name": "Brand and content" } },
                { "addDottedLine": { "unitId": brand, "superiorUnitId": ceo } },
                { "moveUnit": { "unitId": marketing, "superiorUnitId": brand } },
                ] }),
            )
            .await;
        assert_eq!(field(&error), "changes[2].superiorUnitId", "{error}");
        assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
        let stored = scenario(&app, &draft).await;
        assert_eq!(stored["changes"], json!([]));
        assert_eq!(stored["version"], draft["version"]);
        assert_eq!(stored["diff"]["empty"], true);

        // Keys: a unit created by an earlier change is named by its key.
        let added = add(
            &app,
            &draft,
            json!([
                { "createUnit": { "key": "growth", "name": "Growth", "function": "MARKETING",
                                  "superiorUnitId": ceo } },
                { "moveUnit": { "unitId": brand, "superiorUnitId": "growth" } },
                { "archiveUnit": { "unitId": marketing } },
            ]),
        )
        .await;
        assert_eq!(added["changes"].as_array().unwrap().len(), 3);
        let diff = scenario(&app, &draft).await["diff"].take();
        assert_eq!(diff["unitsAdded"][0]["name"], "Growth");
        assert_eq!(diff["unitsMoved"][0]["to"]["name"], "Growth");
        assert_eq!(diff["unitsMoved"][0]["from"]["name"], "Marketing");
        // Unknown unit: NOT_FOUND on the change's field, counted within the batch.
        let unknown = app
            .error(
                ADD,
                json!({ "id": draft["id"], "version": added["version"], "changes": [
                { "moveUnit": { "unitId": "nope", "superiorUnitId": ceo } },
                ] }),
            )
            .await;
        assert_eq!(field(&unknown), "changes[0].unitId", "{unknown}");
        // A stale version is a CONFLICT.
        let stale = app
            .error(
                ADD,
                json!({ "id": draft["id"], "version": draft["version"], "changes": [
                { "updateUnit": { "unitId": ceo, "name": "Board" } },
                ] }),
            )
            .await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
    })
    .await;
}

#[tokio::test]
async fn a_draft_is_promoted_after_a_rebase_and_a_promotion_applies_every_change() {
    on_each_backend(|app| async move {
        let org = app.create_org("rebase").await;
        let Trio {
            top: ceo,
            sales,
            marketing,
        } = app.marketing_under_sales(&org, "CEO office").await;
        let draft = draft(&app, &org, "Out of sales", "2030-01-01").await;
        let added = add(&app, &draft, json!([
            { "moveUnit": { "unitId": marketing, "superiorUnitId": ceo } },
            { "createPosition": { "unitId": marketing, "title": "CMO", "role": "CMO",
                                  "responsibilities": ["BRAND", "REVENUE"] } },
            { "addDottedLine": { "unitId": marketing, "superiorUnitId": sales } },
        ]))
        .await;
        // A live change after the draft: promotion is refused until a rebase.
        let finance = app.create_unit(&org, "Finance", "FINANCE").await;
        app.add_line(&finance, &ceo, "SOLID", "2024-01-01", None).await;
        let refused = app
            .error(PROMOTE, json!({ "id": draft["id"], "version": added["version"] }))
            .await;
        assert_eq!(code(&refused), "CONFLICT", "{refused}");
        // The changes since, by day, operation, what they changed (by name) and who.
        let today = chrono::Utc::now().date_naive();
        let message = refused["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "changed 2 time(s) since this draft was validated ({today} createUnit \"Finance\" by test-admin; \
                 {today} addReportingLine the line \"Finance\" → \"CEO office\" by test-admin)"
            )),
            "{refused}"
        );
        let rebased = app
            .ok(
                r#"mutation($id: ID!, $version: Int!) {
                    rebaseScenario(input: { scenarioId: $id, version: $version }) { version } }"#,
                json!({ "id": draft["id"], "version": added["version"] }),
            )
            .await["rebaseScenario"]
            .clone();
        app.ok(PROMOTE, json!({ "id": draft["id"], "version": rebased["version"] }))
            .await;
        let live = app
            .ok(
                r#"query($id: ID!) { organization(id: $id) {
                    collaborationModel(asOf: "2030-01-01") { inferred }
                    positions(asOf: "2030-01-01") { role responsibilities }
                    today: positions { role }
                    reportingLines(asOf: "2030-01-01") { kind unit { name } superiorUnit { name } } } }"#,
                json!({ "id": org }),
            )
            .await["organization"]
            .clone();
        assert_eq!(live["collaborationModel"]["inferred"], "INDEPENDENT_MATRIX", "{live:#}");
        assert_eq!(live["positions"][0]["role"], "CMO");
        // The position the draft creates exists from the draft's date, not before.
        assert_eq!(live["today"], json!([]), "{live:#}");
        // Sales and Marketing under the CEO office, the dotted line, and Finance's line
        // drawn live before the rebase.
        assert_eq!(live["reportingLines"].as_array().unwrap().len(), 4, "{live:#}");
        // Before the date, the old line still holds: history is kept.
        let before = app
            .ok(
                r#"query($id: ID!) { organization(id: $id) {
                    collaborationModel(asOf: "2029-12-31") { inferred } } }"#,
                json!({ "id": org }),
            )
            .await["organization"]
            .clone();
        assert_eq!(before["collaborationModel"]["inferred"], "REPORTS_TO_SALES");
    })
    .await;
}

#[tokio::test]
async fn viewers_read_scenarios_integrations_do_not_and_only_writers_draft() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let draft = demo_scenario(&app, "meridian-logistics", "Restore a CMO").await;
        let org = app
            .ok(SCENARIOS, json!({ "slug": "meridian-logistics" }))
            .await["organization"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let viewer = app.token(Role::Viewer, &[&org]);
        let (_, read) = app
            .graphql_as(
                Some(&viewer),
                r#"query($id: ID!) { scenario(id: $id) { name diff { insightsResolved { code } } } }"#,
                json!({ "id": draft["id"] }),
            )
            .await;
        assert_eq!(read["data"]["scenario"]["name"], "Restore a CMO", "{read}");
        let resolved = codes(&read["data"]["scenario"]["diff"]["insightsResolved"]);
        assert!(resolved.contains(&"NO_CMO_COMMERCIAL_LEADERSHIP"), "{read}");
        let (_, refused) = app
            .graphql_as(
                Some(&viewer),
                PROMOTE,
                json!({ "id": draft["id"], "version": draft["version"] }),
            )
            .await;
        assert_eq!(code(&refused["errors"][0]), "FORBIDDEN", "{refused}");
        let (integration, _) = crate::authorization::issue_token(&app, &org).await;
        let (_, hidden) = app
            .graphql_as(
                Some(&integration),
                r#"query($id: ID!) { scenario(id: $id) { name } }"#,
                json!({ "id": draft["id"] }),
            )
            .await;
        assert_eq!(code(&hidden["errors"][0]), "FORBIDDEN", "{hidden}");
        // An editor of another organization sees nothing.
        let stranger = app.token(Role::Editor, &["00000000-0000-7000-8000-000000000000"]);
        let (_, none) = app
            .graphql_as(
                Some(&stranger),
                r#"query($id: ID!) { scenario(id: $id) { name } }"#,
                json!({ "id": draft["id"] }),
            )
            .await;
        assert_eq!(none["data"]["scenario"], Value::Null, "{none}");
        let (_, not_theirs) = app
            .graphql_as(
                Some(&stranger),
                PROMOTE,
                json!({ "id": draft["id"], "version": draft["version"] }),
            )
            .await;
        assert_eq!(code(&not_theirs["errors"][0]), "NOT_FOUND", "{not_theirs}");
    })
    .await;
}

/// Every figure of a draft's diff, as `compareScenarios` and `scenario` both answer it.
const FIGURES: &str = "name diff {
    empty
    unitsAdded { name } unitsArchived { name }
    unitsMoved { unit { name } from { name } to { name } }
    linesAdded { kind } linesEnded { kind }
    shape {
        before { units maxSpan meanSpan maxDepth meanDepth }
        after { units maxSpan meanSpan maxDepth meanDepth }
    }
    changedUnits { unit { name } spanBefore spanAfter depthBefore depthAfter }
    collaborationModel { before after branches { unit { name } before after } }
    insightsResolved { code evidence } insightsIntroduced { code evidence }
    kpiOwnership { unit { name } series { kpi points } branchBefore { name } branchAfter { name } archived }
}";

#[tokio::test]
async fn compare_scenarios_evaluates_drafts_side_by_side() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let drafts = [
            ("Independent marketing center", "INDEPENDENT_MATRIX"),
            ("Sales reports to marketing", "SALES_REPORTS_TO_MARKETING"),
        ];
        let mut ids = Vec::new();
        for (name, _) in drafts {
            ids.push(demo_scenario(&app, "northwind-industrial", name).await["id"].clone());
        }
        let compared = app
            .ok(
                &format!("query($ids: [ID!]!) {{ compareScenarios(ids: $ids) {{ {FIGURES} }} }}"),
                json!({ "ids": ids }),
            )
            .await["compareScenarios"]
            .clone();
        let compared = compared.as_array().unwrap();
        assert_eq!(compared.len(), drafts.len());
        for ((id, (name, model)), side_by_side) in ids.iter().zip(drafts).zip(compared) {
            // In the order asked, each with the figures it has on its own.
            let alone = app
                .ok(
                    &format!("query($id: ID!) {{ scenario(id: $id) {{ {FIGURES} }} }}"),
                    json!({ "id": id }),
                )
                .await["scenario"]
                .clone();
            assert_eq!(side_by_side, &alone, "[{:?}] {name}", app.backend);
            let diff = &side_by_side["diff"];
            assert_eq!(side_by_side["name"], name);
            assert_eq!(diff["empty"], false, "{name}");
            assert_eq!(
                diff["collaborationModel"]["before"], "REPORTS_TO_SALES",
                "{name}"
            );
            assert_eq!(diff["collaborationModel"]["after"], model, "{name}");
            assert!(
                codes(&diff["insightsResolved"]).contains(&"MARKETING_REPORTS_TO_SALES"),
                "{name}: {diff:#}"
            );
            assert!(
                !diff["unitsMoved"].as_array().unwrap().is_empty(),
                "{name} moves units: {diff:#}"
            );
            let (before, after) = (&diff["shape"]["before"], &diff["shape"]["after"]);
            let added = diff["unitsAdded"].as_array().unwrap().len() as i64;
            let archived = diff["unitsArchived"].as_array().unwrap().len() as i64;
            assert_eq!(
                after["units"].as_i64().unwrap(),
                before["units"].as_i64().unwrap() + added - archived,
                "{name}: the shape counts the units added and archived"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_promotion_reaches_structure_subscribers_as_its_changes() {
    use crate::subscriptions::{Heard, connect, expect_message, first_message, hear, subscribe};
    on_each_backend(|app| async move {
        let org = app.create_org("promoted-live").await;
        let Trio {
            top: ceo,
            marketing,
            ..
        } = app.marketing_under_sales(&org, "CEO office").await;
        let viewer = app.token(Role::Viewer, &[&org]);
        let mut socket = connect(&app.address, &viewer).await;
        expect_message(&mut socket, "connection_ack").await;
        subscribe(
            &mut socket,
            "s",
            "subscription($o: ID!) { structureChanged(organizationId: $o) { operation objectIds } }",
            json!({ "o": org }),
        )
        .await;
        // Live structure changes until the subscription shows it is registered.
        first_message(&mut socket, "the first structure event", |n| {
            let (app, org) = (&app, &org);
            async move {
                app.create_unit(org, &format!("Team {n}"), "OTHER").await;
            }
        })
        .await;
        // Dated today, its changes take effect at once (a later date announces them on
        // that day: see dated_structure.rs).
        let today = chrono::Utc::now().date_naive().to_string();
        let draft = draft(&app, &org, "Out of sales", &today).await;
        let added = add(&app, &draft, json!([
            { "moveUnit": { "unitId": marketing, "superiorUnitId": ceo } } ]))
        .await;
        app.ok(PROMOTE, json!({ "id": draft["id"], "version": added["version"] }))
            .await;
        let mut heard = Vec::new();
        while !heard.contains(&"promoteScenario".to_owned()) {
            match hear(&mut socket, std::time::Duration::from_secs(10)).await {
                Heard::Message(m) => {
                    let event = &m["payload"]["data"]["structureChanged"];
                    heard.push(event["operation"].as_str().unwrap().to_owned());
                }
                other => panic!("waiting for the promotion's events, heard {other}; so far {heard:?}"),
            }
        }
        assert!(heard.contains(&"replaceReportingLine".to_owned()), "{heard:?}");
    })
    .await;
}

#[tokio::test]
async fn evaluating_a_draft_sends_as_many_statements_for_twenty_changes_as_for_one() {
    on_each_backend(|app| async move {
        let org = app.create_org("statements").await;
        let ceo = app.create_unit(&org, "CEO office", "EXECUTIVE").await;
        let mut teams = Vec::new();
        for n in 0..20 {
            let team = app
                .create_unit(&org, &format!("Team {n}"), "MARKETING")
                .await;
            app.add_line(&team, &ceo, "SOLID", "2024-01-01", None).await;
            teams.push(team);
        }
        let hub = app.create_unit(&org, "Hub", "MARKETING").await;
        app.add_line(&hub, &ceo, "SOLID", "2024-01-01", None).await;
        let mut counts = Vec::new();
        for n in [1, 20] {
            let draft = draft(&app, &org, &format!("{n}"), "2030-01-01").await;
            let changes: Vec<Value> = teams[..n]
                .iter()
                .map(|t| json!({ "moveUnit": { "unitId": t, "superiorUnitId": hub } }))
                .collect();
            add(&app, &draft, json!(changes)).await;
            let before = app.statements();
            let scenario = scenario(&app, &draft).await;
            counts.push(app.statements() - before);
            assert_eq!(scenario["diff"]["unitsMoved"].as_array().unwrap().len(), n);
        }
        assert_eq!(
            counts[0], counts[1],
            "statements for 1 and 20 changes: {counts:?}"
        );
    })
    .await;
}
