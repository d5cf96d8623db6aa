//! The collaboration model and insights of the demo organizations match what their
//! structures say.

use orgdesign_api::{demo, settings::Limits};
use sea_orm::Database;
use serde_json::{Value, json};

use crate::helpers::on_each_backend;

const QUERY: &str = r#"query($slug: String) { organization(slug: $slug) {
    units(includeArchived: true) { id name }
    positions(includeArchived: true) { id title }
    collaborationModel { inferred declared agrees branches { unitId model lineIds } }
    insights { code severity title explanation recommendation evidence } } }"#;

fn id_of(list: &Value, key: &str, name: &str) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .find(|item| item[key] == name)
        .unwrap_or_else(|| panic!("no {name}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_demo_organization_shows_the_model_and_insights_its_structure_forms() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        demo::load(&db, &Limits::default()).await.unwrap();
        let org = |slug: &'static str| {
            let app = &app;
            async move { app.ok(QUERY, json!({ "slug": slug })).await["organization"].clone() }
        };

        let northwind = org("northwind-industrial").await;
        let model = &northwind["collaborationModel"];
        assert_eq!(model["inferred"], "REPORTS_TO_SALES");
        assert_eq!(model["agrees"], true);
        assert_eq!(model["branches"].as_array().unwrap().len(), 2);
        let codes: Vec<&str> = northwind["insights"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
        assert_eq!(
            codes,
            [
                "MARKETING_DUPLICATED_ACROSS_UNITS",
                "MARKETING_REPORTS_TO_SALES",
                "MARKETING_REPORTS_TO_SALES",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED"
            ]
        );
        let pumps = id_of(&northwind["units"], "name", "Pumps marketing");
        let valves = id_of(&northwind["units"], "name", "Valves marketing");
        let duplicated = &northwind["insights"][0];
        assert_eq!(duplicated["severity"], "CRITICAL");
        let evidence = duplicated["evidence"].as_array().unwrap();
        assert!(evidence.contains(&json!(pumps)) && evidence.contains(&json!(valves)));

        let lumen = org("lumen-health").await;
        assert_eq!(lumen["collaborationModel"]["inferred"], "INDEPENDENT_MATRIX");
        assert_eq!(lumen["collaborationModel"]["agrees"], true);
        assert_eq!(lumen["collaborationModel"]["branches"][0]["lineIds"].as_array().unwrap().len(), 3, "its solid line and two dotted lines");
        assert_eq!(lumen["insights"], json!([]), "a CMO-led center with matrix lines and assessed priorities raises nothing");

        let fjord = org("fjord-outdoor").await;
        assert_eq!(fjord["collaborationModel"]["inferred"], "OUTSOURCED");
        assert_eq!(fjord["insights"][0]["code"], "MARKETING_OUTSOURCED");
        assert!(fjord["insights"][0]["evidence"].as_array().unwrap().contains(&json!(id_of(&fjord["units"], "name", "Brandwerk agency"))));

        let meridian = org("meridian-logistics").await;
        assert_eq!(meridian["collaborationModel"]["inferred"], "COMMERCIAL_LEADERSHIP");
        assert_eq!(meridian["collaborationModel"]["agrees"], true);
        let by_code = |code: &str| {
            meridian["insights"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .unwrap_or_else(|| panic!("no {code}"))
                .clone()
        };
        assert_eq!(by_code("PRIORITY_SCORED_LOW")["title"], "TRUST scores 31 out of 100");
        let insight = by_code("NO_CMO_COMMERCIAL_LEADERSHIP");
        let cco = id_of(&meridian["positions"], "title", "Chief Commercial and Strategy Officer");
        assert!(insight["evidence"].as_array().unwrap().contains(&json!(cco)));
        // Before the reorganization marketing reported to the CEO: independent then.
        let before = app
            .ok(
                "query { organization(slug: \"meridian-logistics\") { collaborationModel(asOf: \"2023-06-01\") { inferred agrees } } }",
                json!({}),
            )
            .await;
        assert_eq!(before["organization"]["collaborationModel"]["inferred"], "INDEPENDENT");
        assert_eq!(before["organization"]["collaborationModel"]["agrees"], false);
    })
    .await;
}

#[tokio::test]
async fn maturity_shows_the_declared_and_the_evidenced_stage_and_their_gaps() {
    on_each_backend(|app| async move {
        let org = app.create_org("maturing").await;
        let today = chrono::Utc::now().date_naive();
        let day = (today - chrono::Duration::days(10)).to_string();
        // Recent data for every core KPI of the first two stages.
        let points: Vec<Value> = ["budget_utilisation", "spend_vs_plan", "inquiries", "cost_per_lead", "mqls"]
            .iter()
            .map(|k| json!({ "kpi": k, "granularity": "DAY", "periodStart": day, "value": "1", "source": "crm" }))
            .collect();
        app.ok(
            "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
            json!({ "o": org, "p": points }),
        )
        .await;
        let declared = app
            .ok(
                "mutation($i: DeclareStageInput!) { declareStage(input: $i) { stage assessedBy } }",
                json!({ "i": { "organizationId": org, "stage": "OPPORTUNITY", "rationale": "We run a shared funnel with sales." } }),
            )
            .await;
        assert_eq!(declared["declareStage"]["stage"], "OPPORTUNITY");
        let data = app
            .ok(
                "query($id: ID) { organization(id: $id) { maturity { declared { stage rationale } history { stage } evidenced backingKpis missingForNext } insights { code evidence } } }",
                json!({ "id": org }),
            )
            .await;
        let maturity = &data["organization"]["maturity"];
        assert_eq!(maturity["declared"]["stage"], "OPPORTUNITY");
        assert_eq!(maturity["evidenced"], "LEAD_GENERATION");
        let mut missing: Vec<String> = maturity["missingForNext"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect();
        missing.sort();
        assert_eq!(missing, ["pipeline_generated", "sals", "sqls"], "the OPPORTUNITY core KPIs without data");
        assert_eq!(maturity["backingKpis"].as_array().unwrap().len(), 3, "inquiries, cost_per_lead, mqls");
        let codes: Vec<&str> = data["organization"]["insights"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"DECLARED_STAGE_WITHOUT_KPIS"), "{codes:?}");
    })
    .await;
}

#[tokio::test]
async fn priority_assessments_keep_their_history_and_show_a_trend() {
    on_each_backend(|app| async move {
        let org = app.create_org("prioritised").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        let assess = "mutation($i: AssessPriorityInput!) { assessPriority(input: $i) { score } }";
        for (score, at) in [(35, "2024-01-01T00:00:00Z"), (55, "2024-06-01T00:00:00Z")] {
            app.ok(assess, json!({ "i": { "organizationId": org, "priority": "TRUST", "score": score, "ownerUnitId": marketing, "assessedAt": at } }))
                .await;
        }
        let error = app.error(assess, json!({ "i": { "organizationId": org, "priority": "TRUST", "score": 101 } })).await;
        assert_eq!(error["extensions"]["field"], "input.score");
        let data = app
            .ok("query($id: ID) { organization(id: $id) { priorities { priority latest { score } trend history { score } } insights { code } } }", json!({ "id": org }))
            .await;
        let priorities = data["organization"]["priorities"].as_array().unwrap();
        assert_eq!(priorities.len(), 4);
        let trust = priorities.iter().find(|p| p["priority"] == "TRUST").unwrap();
        assert_eq!(trust["latest"]["score"], 55);
        assert_eq!(trust["trend"], 20);
        assert_eq!(trust["history"].as_array().unwrap().len(), 2);
        let unassessed = data["organization"]["insights"].as_array().unwrap().iter().filter(|i| i["code"] == "PRIORITY_UNASSESSED").count();
        assert_eq!(unassessed, 3, "TRUST is assessed and no longer low");
    })
    .await;
}

#[tokio::test]
async fn relationships_keep_their_reviews_and_answer_the_missing_relationship_insight() {
    on_each_backend(|app| async move {
        let org = app.create_org("related").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        let finance = app.create_unit(&org, "Finance", "FINANCE").await;
        let stakeholder = app
            .ok(
                "mutation($i: CreateStakeholderInput!) { createStakeholder(input: $i) { id kind unitId } }",
                json!({ "i": { "organizationId": org, "name": "Finance", "kind": "INTERNAL", "unitId": finance } }),
            )
            .await["createStakeholder"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let wrong = app
            .error(
                "mutation($i: CreateStakeholderInput!) { createStakeholder(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "name": "Board", "kind": "EXTERNAL" } }),
            )
            .await;
        assert_eq!(wrong["extensions"]["field"], "input.group");
        let created = app
            .ok(
                "mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { id version } }",
                json!({ "i": { "ownerUnitId": marketing, "stakeholderId": stakeholder, "trustScore": 40, "strength": "WEAK" } }),
            )
            .await["createRelationship"]
            .clone();
        app.ok(
            "mutation($i: ReviewRelationshipInput!) { reviewRelationship(input: $i) { trustScore } }",
            json!({ "i": { "id": created["id"], "version": created["version"], "trustScore": 65, "strength": "MODERATE" } }),
        )
        .await;
        let data = app
            .ok(
                "query($id: ID) { organization(id: $id) { relationships { trustScore strength reviews { trustScore } } insights { code title } } }",
                json!({ "id": org }),
            )
            .await;
        let relationship = &data["organization"]["relationships"][0];
        assert_eq!(relationship["trustScore"], 65);
        assert_eq!(relationship["reviews"].as_array().unwrap().len(), 2, "every review is kept");
        let missing: Vec<&str> = data["organization"]["insights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["code"] == "MISSING_KEY_RELATIONSHIP")
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert_eq!(missing.len(), 2, "IT and the line of business; finance is covered: {missing:?}");
    })
    .await;
}
