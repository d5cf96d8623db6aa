//! Organizations: create, look up, update with optimistic concurrency, list.

use serde_json::json;

use crate::helpers::{code, field, on_each_backend};

const CREATE: &str = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id slug name industry employeeCount version archived } }";
const UPDATE: &str = "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { id name version industry archived } }";

#[tokio::test]
async fn a_created_organization_is_found_by_id_slug_and_node() {
    on_each_backend(|app| async move {
        let created = app
            .ok(CREATE, json!({ "i": { "slug": "acme-logistics", "name": "  Acme Logistics ", "industry": "Logistics", "employeeCount": 1200 } }))
            .await["createOrganization"]
            .clone();
        assert_eq!(created["name"], "Acme Logistics", "names are trimmed");
        assert_eq!(created["version"], 1);
        let id = created["id"].as_str().unwrap();

        let by_id = app.ok("query($id: ID) { organization(id: $id) { slug } }", json!({ "id": id })).await;
        assert_eq!(by_id["organization"]["slug"], "acme-logistics");
        let by_slug = app.ok(r#"{ organization(slug: "acme-logistics") { id } }"#, json!({})).await;
        assert_eq!(by_slug["organization"]["id"], id);
        let node = app
            .ok("query($id: ID!) { node(id: $id) { id ... on Organization { name } } }", json!({ "id": id }))
            .await;
        assert_eq!(node["node"]["name"], "Acme Logistics");
    })
    .await;
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict_on_the_slug_field_and_writes_nothing() {
    on_each_backend(|app| async move {
        app.create_org("taken-slug").await;
        let error = app
            .error(
                CREATE,
                json!({ "i": { "slug": "taken-slug", "name": "Another" } }),
            )
            .await;
        assert_eq!(code(&error), "CONFLICT");
        assert_eq!(field(&error), "input.slug");
        let list = app.ok("{ organizations { totalCount } }", json!({})).await;
        assert_eq!(list["organizations"]["totalCount"], 1);
    })
    .await;
}

#[tokio::test]
async fn malformed_inputs_are_bad_user_input_naming_the_field() {
    on_each_backend(|app| async move {
        let cases = [
            (json!({ "slug": "Bad Slug", "name": "x" }), "input.slug"),
            (json!({ "slug": "ok-slug", "name": "   " }), "input.name"),
            (
                json!({ "slug": "ok-slug", "name": "a\u{0}b" }),
                "input.name",
            ),
            (
                json!({ "slug": "ok-slug", "name": "x".repeat(201) }),
                "input.name",
            ),
            (
                json!({ "slug": "ok-slug", "name": "x", "employeeCount": -1 }),
                "input.employeeCount",
            ),
            (
                json!({ "slug": "ok-slug", "name": "x", "industry": "bell\u{7}" }),
                "input.industry",
            ),
        ];
        for (input, expected_field) in cases {
            let error = app.error(CREATE, json!({ "i": input })).await;
            assert_eq!(code(&error), "BAD_USER_INPUT", "{input}");
            assert_eq!(field(&error), expected_field, "{input}");
        }
        let list = app.ok("{ organizations { totalCount } }", json!({})).await;
        assert_eq!(
            list["organizations"]["totalCount"], 0,
            "nothing was written"
        );
    })
    .await;
}

#[tokio::test]
async fn an_update_against_a_stale_version_is_a_conflict_and_changes_nothing() {
    on_each_backend(|app| async move {
        let id = app.create_org("versioned").await;
        let first = app
            .ok(
                UPDATE,
                json!({ "i": { "id": id, "version": 1, "name": "Renamed", "industry": "Retail" } }),
            )
            .await;
        assert_eq!(first["updateOrganization"]["version"], 2);
        assert_eq!(first["updateOrganization"]["industry"], "Retail");

        let stale = app
            .error(
                UPDATE,
                json!({ "i": { "id": id, "version": 1, "name": "Lost update" } }),
            )
            .await;
        assert_eq!(code(&stale), "CONFLICT");
        assert_eq!(field(&stale), "input.version");

        let cleared = app
            .ok(
                UPDATE,
                json!({ "i": { "id": id, "version": 2, "industry": null } }),
            )
            .await;
        assert_eq!(
            cleared["updateOrganization"]["name"], "Renamed",
            "absent fields stay"
        );
        assert_eq!(
            cleared["updateOrganization"]["industry"],
            serde_json::Value::Null,
            "null clears"
        );
    })
    .await;
}

#[tokio::test]
async fn an_update_of_an_unknown_organization_is_not_found() {
    on_each_backend(|app| async move {
        let error = app
            .error(UPDATE, json!({ "i": { "id": uuid::Uuid::now_v7().to_string(), "version": 1, "name": "x" } }))
            .await;
        assert_eq!(code(&error), "NOT_FOUND");
        let unknown = app
            .ok("query($id: ID) { organization(id: $id) { id } }", json!({ "id": uuid::Uuid::now_v7().to_string() }))
            .await;
        assert_eq!(unknown["organization"], serde_json::Value::Null);
    })
    .await;
}

#[tokio::test]
async fn organizations_page_with_cursors_filters_and_ordering() {
    on_each_backend(|app| async move {
        for slug in ["alpha", "bravo", "charlie", "delta", "echo"] {
            app.create_org(slug).await;
        }
        let archived = app.create_org("foxtrot").await;
        app.ok(UPDATE, json!({ "i": { "id": archived, "version": 1, "archived": true } })).await;

        let query = "query($after: String) { organizations(first: 2, after: $after, orderBy: { field: SLUG, direction: DESC }) { totalCount pageInfo { hasNextPage endCursor } edges { node { slug } } } }";
        let mut slugs = Vec::new();
        let mut after = serde_json::Value::Null;
        // Five organizations in pages of two: three pages. The bound turns a cursor
        // that never reaches the end into a failure rather than a hang.
        for pages in 1.. {
            let page = app.ok(query, json!({ "after": after })).await["organizations"].clone();
            assert_eq!(page["totalCount"], 5, "archived ones are left out by default");
            for edge in page["edges"].as_array().unwrap() {
                slugs.push(edge["node"]["slug"].as_str().unwrap().to_owned());
            }
            if page["pageInfo"]["hasNextPage"] == json!(false) {
                break;
            }
            assert!(pages < 5, "still a next page after {pages} pages: {slugs:?}");
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(slugs, ["echo", "delta", "charlie", "bravo", "alpha"]);

        let search = app
            .ok(r#"{ organizations(filter: { search: "RAV", includeArchived: true }) { edges { node { slug } } } }"#, json!({}))
            .await;
        assert_eq!(search["organizations"]["edges"][0]["node"]["slug"], "bravo");
        let with_archived = app
            .ok("{ organizations(filter: { includeArchived: true }) { totalCount } }", json!({}))
            .await;
        assert_eq!(with_archived["organizations"]["totalCount"], 6);
        let like_chars = app
            .ok(r#"{ organizations(filter: { search: "%" }) { totalCount } }"#, json!({}))
            .await;
        assert_eq!(like_chars["organizations"]["totalCount"], 0, "LIKE wildcards are matched literally");
    })
    .await;
}

#[tokio::test]
async fn page_sizes_outside_the_cap_are_refused() {
    on_each_backend(|app| async move {
        for first in [0, -5, 101, 2_147_483_647] {
            let error = app
                .error(
                    "query($n: Int) { organizations(first: $n) { totalCount } }",
                    json!({ "n": first }),
                )
                .await;
            assert_eq!(code(&error), "BAD_USER_INPUT", "first: {first}");
            assert_eq!(field(&error), "first");
        }
        let error = app
            .error(
                "{ organizations(first: 99999999999) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "an Int out of 32-bit range");
        let error = app
            .error(
                r#"{ organizations(after: "garbage") { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(field(&error), "after");
    })
    .await;
}
