//! Who may do what: a matrix over every root field of the schema, and cross-tenant
//! attempts. A root field without a rule here fails the matrix test.

use std::collections::HashMap;

use orgdesign_domain::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, code, create_unit_request, field, spawn_app};

/// What a request came back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It ran (data, or a business error such as a stale-version CONFLICT that only
    /// an authorized request can reach).
    Allowed,
    /// A lookup answered null: the object is out of reach.
    Null,
    NotFound,
    Forbidden,
    Unauthenticated,
}

/// The authorization rule of a root field.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Any authenticated principal.
    Authenticated,
    /// Reading the structure by id: admins anywhere, editors and viewers in their
    /// organizations (elsewhere: null), integrations never.
    ReadById,
    /// Listing the structure: editors and viewers see their organizations only.
    ReadList,
    /// Reading structure objects named in the arguments: admins anywhere, editors and
    /// viewers in their organizations (elsewhere: NOT_FOUND), integrations never.
    ReadNamed,
    /// Changing the structure: admins anywhere, editors in their organizations
    /// (elsewhere: NOT_FOUND), viewers and integrations never.
    Write,
    /// Admins only.
    Admin,
    /// Reading KPI data: every role within its organizations (elsewhere NOT_FOUND).
    KpiRead,
    /// Pushing KPI data: integrations, editors and admins (viewers never).
    KpiWrite,
}

/// The principals of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    NoToken,
    Expired,
    WrongSignature,
    WrongAudience,
    Role(Role),
}

const CALLERS: [Caller; 8] = [
    Caller::NoToken,
    Caller::Expired,
    Caller::WrongSignature,
    Caller::WrongAudience,
    Caller::Role(Role::Viewer),
    Caller::Role(Role::Editor),
    Caller::Role(Role::Integration),
    Caller::Role(Role::Admin),
];

fn expected(rule: Rule, caller: Caller, own: bool) -> Outcome {
    let role = match caller {
        Caller::Role(role) => role,
        _ => return Outcome::Unauthenticated,
    };
    match (rule, role) {
        (Rule::Authenticated, _) => Outcome::Allowed,
        (_, Role::Admin) => Outcome::Allowed,
        (Rule::KpiRead, _) if own => Outcome::Allowed,
        (Rule::KpiRead, _) => Outcome::NotFound,
        (Rule::KpiWrite, Role::Viewer) => Outcome::Forbidden,
        (Rule::KpiWrite, _) if own => Outcome::Allowed,
        (Rule::KpiWrite, _) => Outcome::NotFound,
        (Rule::Admin, _) => Outcome::Forbidden,
        (_, Role::Integration) => Outcome::Forbidden,
        (Rule::ReadList, _) => Outcome::Allowed,
        (Rule::ReadById, _) if own => Outcome::Allowed,
        (Rule::ReadById, _) => Outcome::Null,
        (Rule::ReadNamed, _) if own => Outcome::Allowed,
        (Rule::ReadNamed, _) => Outcome::NotFound,
        (Rule::Write, Role::Viewer) => Outcome::Forbidden,
        (Rule::Write, _) if own => Outcome::Allowed,
        (Rule::Write, _) => Outcome::NotFound,
    }
}

/// One organization's objects, to aim requests at.
struct Tenant {
    org: String,
    unit: String,
    sub_unit: String,
    position: String,
    line: String,
    spare_token: String,
    stakeholder: String,
    relationship: String,
    scenario: String,
    webhook_endpoint: String,
    webhook_delivery: String,
}

async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let org = app.create_org(slug).await;
    // An endpoint that hears the structure changes below (its deliveries fail: the
    // name does not resolve, and no test waits for them).
    let webhook_endpoint = app
        .ok(
            "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
            json!({ "i": { "organizationId": org, "url": "https://webhooks.invalid/hook", "events": ["structure.changed"] } }),
        )
        .await["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unit = app.create_unit(&org, "Executive", "EXECUTIVE").await;
    let sub_unit = app.create_unit(&org, "Marketing", "MARKETING").await;
    let position = app
        .ok(
            "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
            json!({ "i": { "unitId": sub_unit, "title": "CMO", "role": "CMO" } }),
        )
        .await["createPosition"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let line = app
        .add_line(&sub_unit, &unit, "SOLID", "2024-01-01", None)
        .await["data"]["addReportingLine"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare_token = issue_token(app, &org).await.1;
    let stakeholder = app
        .ok_id(
            "mutation($i: CreateStakeholderInput!) { createStakeholder(input: $i) { id } }",
            json!({ "i": { "organizationId": org, "name": "Customers", "kind": "EXTERNAL", "group": "CUSTOMERS" } }),
        )
        .await;
    let relationship = app
        .ok_id(
            "mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { id } }",
            json!({ "i": { "ownerUnitId": sub_unit, "stakeholderId": stakeholder, "trustScore": 70, "strength": "STRONG" } }),
        )
        .await;
    // A stored point, for the KPI reads that name one (`kpiPoint`).
    app.ok(
        "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
        json!({ "o": org, "p": [{ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-02-01", "value": "5", "source": "fixture" }] }),
    )
    .await;
    let scenario = app.create_scenario(&org, "Draft").await;
    let webhook_delivery = app
        .ok(
            "query($e: ID!) { webhookDeliveries(endpointId: $e) { edges { node { id } } } }",
            json!({ "e": webhook_endpoint }),
        )
        .await["webhookDeliveries"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Tenant {
        scenario,
        webhook_endpoint,
        webhook_delivery,
        org,
        unit,
        sub_unit,
        position,
        line,
        spare_token,
        stakeholder,
        relationship,
    }
}

/// Creates an organization `slug` and issues it an integration token, as most tests of
/// integrations begin: (the organization's id, the token, the token's id).
pub async fn integrated_org(app: &TestApp, slug: &str) -> (String, String, String) {
    let org = app.create_org(slug).await;
    let (token, id) = issue_token(app, &org).await;
    (org, token, id)
}

/// Issues an integration token as admin: (token, its id).
pub async fn issue_token(app: &TestApp, org: &str) -> (String, String) {
    let data = app
        .ok(
            "mutation($i: IssueIntegrationTokenInput!) { issueIntegrationToken(input: $i) { token integrationToken { id } } }",
            json!({ "i": { "organizationId": org, "name": "crm-sync", "expiresIn": "30d" } }),
        )
        .await;
    let issued = &data["issueIntegrationToken"];
    (
        issued["token"].as_str().unwrap().to_owned(),
        issued["integrationToken"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// The rule and a request (query, variables) for each root field, aimed at `t`.
fn operation(name: &str, t: &Tenant) -> Option<(Rule, String, Value)> {
    let slug = format!("matrix-{}", uuid::Uuid::now_v7().simple());
    Some(match name {
        "me" => (Rule::Authenticated, "{ me { role } }".into(), json!({})),
        "maturityStages" => (Rule::Authenticated, "{ maturityStages { key } }".into(), json!({})),
        "leadershipPriorities" => (Rule::Authenticated, "{ leadershipPriorities { key } }".into(), json!({})),
        "organization" => (Rule::ReadById, "query($id: ID) { organization(id: $id) { id } }".into(), json!({ "id": t.org })),
        "organizations" => (Rule::ReadList, "{ organizations { totalCount } }".into(), json!({})),
        "unit" => (Rule::ReadById, "query($id: ID!) { unit(id: $id) { id } }".into(), json!({ "id": t.unit })),
        "position" => (Rule::ReadById, "query($id: ID!) { position(id: $id) { id } }".into(), json!({ "id": t.position })),
        "reportingLine" => (Rule::ReadById, "query($id: ID!) { reportingLine(id: $id) { id } }".into(), json!({ "id": t.line })),
        "node" => (Rule::ReadById, "query($id: ID!) { node(id: $id) { id } }".into(), json!({ "id": t.sub_unit })),
        "auditLog" => (Rule::Write, "query($o: ID!) { auditLog(organizationId: $o) { totalCount } }".into(), json!({ "o": t.org })),
        "integrationTokens" => (Rule::Write, "query($o: ID!) { integrationTokens(organizationId: $o) { totalCount } }".into(), json!({ "o": t.org })),
        "createOrganization" => (
            Rule::Admin,
            "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }".into(),
            json!({ "i": { "slug": slug, "name": "Matrix" } }),
        ),
        // Stale versions: an authorized caller gets as far as the version check.
        "updateOrganization" => (
            Rule::Write,
            "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { id } }".into(),
            json!({ "i": { "id": t.org, "version": 0, "name": "Renamed" } }),
        ),
        "createUnit" => (
            Rule::Write,
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "name": "New unit", "function": "SALES" } }),
        ),
        "updateUnit" => (
            Rule::Write,
            "mutation($i: UpdateUnitInput!) { updateUnit(input: $i) { id } }".into(),
            json!({ "i": { "id": t.unit, "version": 0, "name": "Renamed" } }),
        ),
        "createPosition" => (
            Rule::Write,
            "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }".into(),
            json!({ "i": { "unitId": t.unit, "title": "Head", "role": "HEAD" } }),
        ),
        "updatePosition" => (
            Rule::Write,
            "mutation($i: UpdatePositionInput!) { updatePosition(input: $i) { id } }".into(),
            json!({ "i": { "id": t.position, "version": 0, "title": "Renamed" } }),
        ),
        "addReportingLine" => (
            Rule::Write,
            "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id } }".into(),
            json!({ "i": { "unitId": t.unit, "superiorUnitId": t.sub_unit, "kind": "DOTTED", "effectiveFrom": "2024-01-01" } }),
        ),
        "replaceReportingLine" => (
            Rule::Write,
            "mutation($i: ReplaceReportingLineInput!) { replaceReportingLine(input: $i) { added { id } } }".into(),
            // A cycle: authorized callers get as far as the invariant check.
            json!({ "i": { "unitId": t.unit, "superiorUnitId": t.sub_unit, "effectiveFrom": "2024-06-01" } }),
        ),
        "endReportingLine" => (
            Rule::Write,
            "mutation($i: EndReportingLineInput!) { endReportingLine(input: $i) { id } }".into(),
            json!({ "i": { "id": t.line, "version": 0, "effectiveTo": "2025-01-01" } }),
        ),
        "deleteReportingLine" => (
            Rule::Write,
            "mutation($i: DeleteReportingLineInput!) { deleteReportingLine(input: $i) { id } }".into(),
            json!({ "i": { "id": t.line, "version": 0 } }),
        ),
        "issueIntegrationToken" => (
            Rule::Write,
            "mutation($i: IssueIntegrationTokenInput!) { issueIntegrationToken(input: $i) { integrationToken { id } } }".into(),
            json!({ "i": { "organizationId": t.org, "name": "matrix" } }),
        ),
        "revokeIntegrationToken" => (
            Rule::Write,
            "mutation($i: RevokeIntegrationTokenInput!) { revokeIntegrationToken(input: $i) { id } }".into(),
            json!({ "i": { "id": t.spare_token } }),
        ),
        "kpis" => (Rule::KpiRead, "query($o: ID!) { kpis(organizationId: $o) { key } }".into(), json!({ "o": t.org })),
        "kpiSeries" => (
            Rule::KpiRead,
            "query($o: ID!) { kpiSeries(organizationId: $o, kpi: \"mqls\", granularity: MONTH, from: \"2024-01-01\", to: \"2025-01-01\") { value } }".into(),
            json!({ "o": t.org }),
        ),
        "funnel" => (
            Rule::KpiRead,
            "query($o: ID!) { funnel(organizationId: $o, from: \"2024-01-01\", to: \"2025-01-01\") { kpi } }".into(),
            json!({ "o": t.org }),
        ),
        "scenario" => (
            Rule::ReadById,
            "query($id: ID!) { scenario(id: $id) { id } }".into(),
            json!({ "id": t.scenario }),
        ),
        // Naming a scenario out of reach is NOT_FOUND on `ids[0]`, as a write's input.
        "compareScenarios" => (
            Rule::ReadNamed,
            "query($id: ID!) { compareScenarios(ids: [$id]) { id } }".into(),
            json!({ "id": t.scenario }),
        ),
        "createScenario" => (
            Rule::Write,
            "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "name": "Another", "effectiveFrom": "2030-01-01" } }),
        ),
        "addScenarioChanges" => (
            Rule::Write,
            "mutation($i: AddScenarioChangesInput!) { addScenarioChanges(input: $i) { id } }".into(),
            // A stale version: authorized callers get as far as the version check.
            json!({ "i": { "scenarioId": t.scenario, "version": 0, "changes": [
                { "updateUnit": { "unitId": t.unit, "name": "Board" } }] } }),
        ),
        "promoteScenario" | "rebaseScenario" | "discardScenario" => (
            Rule::Write,
            format!("mutation($i: ScenarioVersionInput!) {{ {name}(input: $i) {{ id }} }}"),
            json!({ "i": { "scenarioId": t.scenario, "version": 0 } }),
        ),
        "kpiSources" => (Rule::KpiRead, "query($o: ID!) { kpiSources(organizationId: $o) { kpi } }".into(), json!({ "o": t.org })),
        "kpiPoint" => (
            Rule::KpiRead,
            "query($o: ID!) { kpiPoint(organizationId: $o, kpi: \"mqls\", granularity: DAY, periodStart: \"2024-02-01\", source: \"fixture\") { value } }".into(),
            json!({ "o": t.org }),
        ),
        "recordKpiMeasurements" => (
            Rule::KpiWrite,
            "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }".into(),
            json!({ "o": t.org, "p": [{ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "12", "source": "matrix" }] }),
        ),
        "createKpiDefinition" => (
            Rule::Write,
            "mutation($i: CreateKpiDefinitionInput!) { createKpiDefinition(input: $i) { key } }".into(),
            json!({ "i": { "organizationId": t.org, "key": format!("k{}", uuid::Uuid::now_v7().simple()), "name": "Own KPI", "stage": "REVENUE", "unit": "COUNT", "direction": "HIGHER_IS_BETTER", "rollup": "SUM" } }),
        ),
        "createStakeholder" => (
            Rule::Write,
            "mutation($i: CreateStakeholderInput!) { createStakeholder(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "name": "The board", "kind": "EXTERNAL", "group": "BOARD" } }),
        ),
        "createRelationship" => (
            Rule::Write,
            "mutation($i: CreateRelationshipInput!) { createRelationship(input: $i) { id } }".into(),
            json!({ "i": { "ownerUnitId": t.sub_unit, "stakeholderId": t.stakeholder, "trustScore": 50, "strength": "MODERATE" } }),
        ),
        "reviewRelationship" => (
            Rule::Write,
            "mutation($i: ReviewRelationshipInput!) { reviewRelationship(input: $i) { id } }".into(),
            json!({ "i": { "id": t.relationship, "version": 0, "trustScore": 60, "strength": "STRONG" } }),
        ),
        "assessPriority" => (
            Rule::Write,
            "mutation($i: AssessPriorityInput!) { assessPriority(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "priority": "TRUST", "score": 50 } }),
        ),
        "declareStage" => (
            Rule::Write,
            "mutation($i: DeclareStageInput!) { declareStage(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "stage": "LEAD_GENERATION" } }),
        ),
        "setKpiTarget" => (
            Rule::Write,
            "mutation($i: SetKpiTargetInput!) { setKpiTarget(input: $i) { id } }".into(),
            json!({ "i": { "organizationId": t.org, "kpi": "mqls", "granularity": "MONTH", "periodStart": "2024-03-01", "value": "100" } }),
        ),
        "webhookEndpoints" => (Rule::Write, "query($o: ID!) { webhookEndpoints(organizationId: $o) { totalCount } }".into(), json!({ "o": t.org })),
        "webhookDeliveries" => (Rule::Write, "query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount } }".into(), json!({ "e": t.webhook_endpoint })),
        "createWebhookEndpoint" => (
            Rule::Write,
            "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }".into(),
            json!({ "i": { "organizationId": t.org, "url": "https://webhooks.invalid/matrix", "events": ["kpi.points_recorded"] } }),
        ),
        // Stale versions: an authorized caller gets as far as the version check.
        "updateWebhookEndpoint" => (
            Rule::Write,
            "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { id } }".into(),
            json!({ "i": { "id": t.webhook_endpoint, "version": 0, "description": "matrix" } }),
        ),
        "deleteWebhookEndpoint" => (
            Rule::Write,
            "mutation($i: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $i) { id } }".into(),
            json!({ "i": { "id": t.webhook_endpoint, "version": 0 } }),
        ),
        "rotateWebhookSecret" => (
            Rule::Write,
            "mutation($i: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $i) { endpoint { id } } }".into(),
            json!({ "i": { "id": t.webhook_endpoint } }),
        ),
        "redeliverWebhook" => (
            Rule::Write,
            "mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }".into(),
            json!({ "d": t.webhook_delivery }),
        ),
        "pingWebhookEndpoint" => (
            Rule::Write,
            "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }".into(),
            json!({ "id": t.webhook_endpoint }),
        ),
        _ => return None,
    })
}

fn outcome(status: u16, body: &Value, field_name: &str) -> Result<Outcome, String> {
    if status == 401 {
        return Ok(Outcome::Unauthenticated);
    }
    if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
        return match code(error) {
            "UNAUTHENTICATED" => Ok(Outcome::Unauthenticated),
            "FORBIDDEN" => Ok(Outcome::Forbidden),
            "NOT_FOUND" => Ok(Outcome::NotFound),
            "CONFLICT" => Ok(Outcome::Allowed),
            other => Err(format!("unexpected {other}: {body}")),
        };
    }
    match &body["data"][field_name] {
        Value::Null => Ok(Outcome::Null),
        _ => Ok(Outcome::Allowed),
    }
}

#[tokio::test]
async fn every_root_field_allows_exactly_the_principals_its_rule_names() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let own = tenant(&app, "own-org").await;
        let other = tenant(&app, "other-org").await;
        let (integration, _) = issue_token(&app, &own.org).await;

        let mut tokens: HashMap<Caller, Option<String>> = HashMap::new();
        tokens.insert(Caller::NoToken, None);
        tokens.insert(
            Caller::Expired,
            Some(crate::tokens::expired_token(&app, &own.org)),
        );
        tokens.insert(
            Caller::WrongSignature,
            Some(crate::tokens::foreign_token(&own.org)),
        );
        tokens.insert(
            Caller::WrongAudience,
            Some(crate::tokens::wrong_audience_token(&own.org)),
        );
        tokens.insert(
            Caller::Role(Role::Viewer),
            Some(app.token(Role::Viewer, &[&own.org])),
        );
        tokens.insert(
            Caller::Role(Role::Editor),
            Some(app.token(Role::Editor, &[&own.org])),
        );
        tokens.insert(Caller::Role(Role::Integration), Some(integration));
        tokens.insert(Caller::Role(Role::Admin), Some(app.admin_token.clone()));

        let schema = app
            .ok(
                "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
                json!({}),
            )
            .await;
        let mut fields: Vec<String> = Vec::new();
        for root in ["queryType", "mutationType"] {
            for f in schema["__schema"][root]["fields"].as_array().unwrap() {
                fields.push(f["name"].as_str().unwrap().to_owned());
            }
        }
        let mut failures = Vec::new();
        let mut checked = 0;
        for name in &fields {
            for (target, is_own) in [(&own, true), (&other, false)] {
                let Some((rule, query, variables)) = operation(name, target) else {
                    panic!(
                        "the root field `{name}` has no authorization rule in this matrix; add one"
                    );
                };
                for caller in CALLERS {
                    let want = expected(rule, caller, is_own);
                    let (status, body) = app
                        .graphql_as(tokens[&caller].as_deref(), &query, variables.clone())
                        .await;
                    match outcome(status, &body, name) {
                        Ok(got) if got == want => {}
                        Ok(got) => failures.push(format!(
                            "{name} as {caller:?} on {} organization: expected {want:?}, got {got:?}: {body}",
                            if is_own { "its own" } else { "another" }
                        )),
                        Err(why) => failures.push(format!("{name} as {caller:?}: {why}")),
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            failures.is_empty(),
            "[{backend:?}] {} of {checked} cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(
            checked >= 20 * 16,
            "[{backend:?}] the matrix covered {checked} cases"
        );
    }
}

#[tokio::test]
async fn nothing_of_another_organization_shows_through_lists_nodes_or_nested_edges() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let own = tenant(&app, "tenant-own").await;
        let other = tenant(&app, "tenant-other").await;
        let viewer = app.token(Role::Viewer, &[&own.org]);

        let (_, list) = app
            .graphql_as(Some(&viewer), "{ organizations(filter: { includeArchived: true }) { totalCount edges { node { id units { id superior { id } subordinates { id } positions { id } } reportingLines { unit { id } superiorUnit { id } } } } } }", json!({}))
            .await;
        assert_eq!(list["data"]["organizations"]["totalCount"], 1, "{list}");
        let text = list.to_string();
        for id in [
            &other.org,
            &other.unit,
            &other.sub_unit,
            &other.position,
            &other.line,
        ] {
            assert!(
                !text.contains(id.as_str()),
                "[{backend:?}] {id} of another organization leaked: {text}"
            );
        }
        for id in [&other.org, &other.unit, &other.position, &other.line] {
            let (_, node) = app
                .graphql_as(
                    Some(&viewer),
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": id }),
                )
                .await;
            assert_eq!(
                node["data"]["node"],
                Value::Null,
                "[{backend:?}] node({id})"
            );
        }
        let (_, slug) = app
            .graphql_as(
                Some(&viewer),
                r#"{ organization(slug: "tenant-other") { id } }"#,
                json!({}),
            )
            .await;
        assert_eq!(slug["data"]["organization"], Value::Null);

        // An editor cannot hang its unit under another organization's unit, and the
        // answer does not confirm that unit exists.
        let editor = app.token(Role::Editor, &[&own.org]);
        let (_, body) = app
            .graphql_as(
                Some(&editor),
                "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id } }",
                json!({ "i": { "unitId": own.unit, "superiorUnitId": other.unit, "effectiveFrom": "2024-01-01" } }),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(code(error), "NOT_FOUND", "{body}");
        assert_eq!(field(error), "input.superiorUnitId");
        let (_, unknown) = app
            .graphql_as(
                Some(&editor),
                "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id } }",
                json!({ "i": { "unitId": own.unit, "superiorUnitId": uuid::Uuid::now_v7().to_string(), "effectiveFrom": "2024-01-01" } }),
            )
            .await;
        assert_eq!(
            unknown["errors"][0]["message"], body["errors"][0]["message"],
            "unknown and foreign look alike"
        );
    }
}

#[tokio::test]
async fn every_mutation_writes_an_audit_entry_in_its_transaction() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let org = app.create_org("audited").await;
        let editor = app.token(Role::Editor, &[&org]);
        let response = app
            .anonymous
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&editor)
            .json(&create_unit_request(&org, "Brand", "MARKETING"))
            .send()
            .await
            .unwrap();
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        let unit = body["data"]["createUnit"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A refused mutation writes no entry.
        let (_, refused) = app
            .graphql_as(
                Some(&editor),
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "name": "", "function": "MARKETING" } }),
            )
            .await;
        assert!(refused["errors"].is_array());

        let (_, log) = app
            .graphql_as(
                Some(&editor),
                "query($o: ID!) { auditLog(organizationId: $o) { totalCount edges { node { actor operation objectIds requestId } } } }",
                json!({ "o": org }),
            )
            .await;
        let log = &log["data"]["auditLog"];
        assert_eq!(
            log["totalCount"], 2,
            "[{backend:?}] createOrganization and createUnit: {log}"
        );
        let newest = &log["edges"][0]["node"];
        assert_eq!(newest["operation"], "createUnit");
        assert_eq!(newest["actor"], "test-editor");
        assert_eq!(newest["objectIds"], json!([unit]));
        assert_eq!(newest["requestId"], request_id);
        assert_eq!(log["edges"][1]["node"]["operation"], "createOrganization");
    }
}
