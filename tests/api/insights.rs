//! The collaboration model and insights of the demo organizations match what their
//! structures say.

use orgdesign_domain::{demo, settings::Limits};
use sea_orm::Database;
use serde_json::{Value, json};

use crate::helpers::on_each_backend;

const QUERY: &str = r#"query($slug: String) { organization(slug: $slug) {
    units(includeArchived: true) { id name }
    positions(includeArchived: true) { id title }
    maturity { declared { id stage } evidenced }
    collaborationModel { inferred declared agrees branches { unitId model lineIds } }
    insights { code severity title explanation recommendation evidence } } }"#;

fn codes(org: &Value) -> Vec<&str> {
    crate::helpers::codes(&org["insights"])
}

fn by_code(org: &Value, code: &str) -> Value {
    org["insights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no {code}"))
        .clone()
}

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
        assert_eq!(
            codes(&northwind),
            [
                "MARKETING_DUPLICATED_ACROSS_UNITS",
                "DECLARED_STAGE_WITHOUT_KPIS",
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
        // Declared OPPORTUNITY, but the CRM only reports lead-generation KPIs.
        assert_eq!(northwind["maturity"]["declared"]["stage"], "OPPORTUNITY");
        assert_eq!(northwind["maturity"]["evidenced"], "LEAD_GENERATION");
        let stage = by_code(&northwind, "DECLARED_STAGE_WITHOUT_KPIS");
        assert_eq!(stage["title"], "The declared OPPORTUNITY stage lacks recent data for pipeline_generated, sals, sqls");
        assert_eq!(stage["evidence"].as_array().unwrap().len(), 4, "the declaration and three KPI definitions");
        assert_eq!(stage["evidence"][0], northwind["maturity"]["declared"]["id"]);

        let lumen = org("lumen-health").await;
        assert_eq!(lumen["collaborationModel"]["inferred"], "INDEPENDENT_MATRIX");
        assert_eq!(lumen["collaborationModel"]["agrees"], true);
        assert_eq!(lumen["collaborationModel"]["branches"][0]["lineIds"].as_array().unwrap().len(), 3, "its solid line and two dotted lines");
        assert_eq!(lumen["insights"], json!([]), "a CMO-led revenue-stage center with matrix lines, its KPIs and assessed priorities raises nothing");
        assert_eq!(lumen["maturity"]["declared"]["stage"], "REVENUE");
        assert_eq!(lumen["maturity"]["evidenced"], "REVENUE");

        let fjord = org("fjord-outdoor").await;
        assert_eq!(fjord["collaborationModel"]["inferred"], "OUTSOURCED");
        assert_eq!(
            codes(&fjord),
            [
                "MARKETING_OUTSOURCED",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED",
                "PRIORITY_UNASSESSED",
                "STRUCTURE_ORPHAN_UNITS",
                "EVIDENCE_AHEAD_OF_DECLARED_STAGE"
            ]
        );
        assert!(by_code(&fjord, "MARKETING_OUTSOURCED")["evidence"].as_array().unwrap().contains(&json!(id_of(&fjord["units"], "name", "Brandwerk agency"))));
        assert_eq!(by_code(&fjord, "STRUCTURE_ORPHAN_UNITS")["evidence"], json!([id_of(&fjord["units"], "name", "Pop-up stores project")]));
        let ahead = by_code(&fjord, "EVIDENCE_AHEAD_OF_DECLARED_STAGE");
        assert_eq!(ahead["title"], "The data shows the LEAD_GENERATION stage; TRADITIONAL is declared");
        assert_eq!(ahead["evidence"][0], fjord["maturity"]["declared"]["id"]);
        assert_eq!(ahead["evidence"].as_array().unwrap().len(), 4, "the declaration and the three lead-generation core KPIs");

        let meridian = org("meridian-logistics").await;
        assert_eq!(meridian["collaborationModel"]["inferred"], "COMMERCIAL_LEADERSHIP");
        assert_eq!(meridian["collaborationModel"]["agrees"], true);
        assert_eq!(
            codes(&meridian),
            [
                "DECLARED_STAGE_WITHOUT_KPIS",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "MISSING_KEY_RELATIONSHIP",
                "PRIORITY_SCORED_LOW",
                "REVENUE_STAGE_WITHOUT_REVENUE_RESPONSIBILITY",
                "NO_CMO_COMMERCIAL_LEADERSHIP"
            ]
        );
        assert_eq!(by_code(&meridian, "PRIORITY_SCORED_LOW")["title"], "TRUST scores 31 out of 100");
        let insight = by_code(&meridian, "NO_CMO_COMMERCIAL_LEADERSHIP");
        let cco = id_of(&meridian["positions"], "title", "Chief Commercial and Strategy Officer");
        assert!(insight["evidence"].as_array().unwrap().contains(&json!(cco)));
        // Revenue declared, but the head of marketing carries brand and demand only; the
        // archived CMO is not evidence.
        let revenue = by_code(&meridian, "REVENUE_STAGE_WITHOUT_REVENUE_RESPONSIBILITY");
        let head = id_of(&meridian["positions"], "title", "Head of marketing");
        assert_eq!(revenue["evidence"], json!([meridian["maturity"]["declared"]["id"], head]));
        // Its revenue KPIs stopped in 2023: stale, so the stage lacks evidence.
        assert!(by_code(&meridian, "DECLARED_STAGE_WITHOUT_KPIS")["title"].as_str().unwrap().contains("marketing_sourced_revenue"));

        // Every rule fires on at least one demo organization.
        let mut seen: Vec<&str> = [&northwind, &lumen, &fjord, &meridian].iter().flat_map(|o| codes(o)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen,
            [
                "DECLARED_STAGE_WITHOUT_KPIS",
                "EVIDENCE_AHEAD_OF_DECLARED_STAGE",
                "MARKETING_DUPLICATED_ACROSS_UNITS",
                "MARKETING_OUTSOURCED",
                "MARKETING_REPORTS_TO_SALES",
                "MISSING_KEY_RELATIONSHIP",
                "NO_CMO_COMMERCIAL_LEADERSHIP",
                "PRIORITY_SCORED_LOW",
                "PRIORITY_UNASSESSED",
                "REVENUE_STAGE_WITHOUT_REVENUE_RESPONSIBILITY",
                "STRUCTURE_ORPHAN_UNITS"
            ]
        );
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
        let organization = app
            .organization(
                &org,
                "maturity { declared { stage rationale } history { stage } evidenced backingKpis missingForNext } insights { code evidence }",
            )
            .await;
        let maturity = &organization["maturity"];
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
        let codes = codes(&organization);
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
        let organization = app
            .organization(&org, "priorities { priority latest { score } trend history { score } } insights { code }")
            .await;
        let priorities = organization["priorities"].as_array().unwrap();
        assert_eq!(priorities.len(), 4);
        let trust = priorities.iter().find(|p| p["priority"] == "TRUST").unwrap();
        assert_eq!(trust["latest"]["score"], 55);
        assert_eq!(trust["trend"], 20);
        assert_eq!(trust["history"].as_array().unwrap().len(), 2);
        let unassessed = codes(&organization).iter().filter(|c| **c == "PRIORITY_UNASSESSED").count();
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
        let organization = app
            .organization(
                &org,
                "relationships { trustScore strength reviews { trustScore } } insights { code title }",
            )
            .await;
        let relationship = &organization["relationships"][0];
        assert_eq!(relationship["trustScore"], 65);
        assert_eq!(relationship["reviews"].as_array().unwrap().len(), 2, "every review is kept");
        let missing: Vec<&str> = organization["insights"]
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
