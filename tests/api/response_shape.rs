//! The response follows the GraphQL spec to the letter: an object's keys come back in
//! the order the document asked for them, at every level, whatever ran in parallel and
//! finished first; a field that fails leaves `null` in its place when the schema lets it
//! be null, and otherwise nulls its nearest nullable parent (`data: null` when none is) —
//! never a missing key. (graphql-js's own executor checks the same answers in
//! `clients.rs`.)

use serde_json::{Value, json};

use crate::helpers::{code, field, on_each_backend};

/// A selection: its response key (what the document writes before its arguments or
/// sub-selection), the rest of its line, and its sub-selection.
#[derive(Clone)]
struct Sel {
    key: &'static str,
    args: &'static str,
    children: Vec<Sel>,
}

fn leaf(key: &'static str) -> Sel {
    Sel {
        key,
        args: "",
        children: Vec::new(),
    }
}

fn node(key: &'static str, args: &'static str, children: Vec<Sel>) -> Sel {
    Sel {
        key,
        args,
        children,
    }
}

/// Fields whose resolvers take different paths (plain values, per-request loaders at
/// several levels of nesting, computed insights, SQL aggregates), so that the order in
/// which they finish varies with the run.
fn dashboard() -> Vec<Sel> {
    let unit = vec![
        leaf("name"),
        leaf("function"),
        leaf("sourcing"),
        node("superior", "", vec![leaf("name"), leaf("depth")]),
        leaf("spanOfControl"),
        leaf("depth"),
        node("positions", "", vec![leaf("title"), leaf("role")]),
        node("reportingLines", "", vec![leaf("kind"), leaf("current")]),
    ];
    let organization = vec![
        leaf("slug"),
        leaf("name"),
        leaf("industry"),
        node("units", "", unit),
        node(
            "collaborationModel",
            "",
            vec![leaf("inferred"), leaf("declared"), leaf("agrees")],
        ),
        node(
            "insights",
            "",
            vec![leaf("code"), leaf("severity"), leaf("title")],
        ),
        node(
            "maturity",
            "",
            vec![
                leaf("evidenced"),
                leaf("backingKpis"),
                leaf("missingForNext"),
            ],
        ),
        node(
            "kpiSeries",
            r#"(kpi: "mqls", granularity: MONTH, from: "2000-01-01", to: "2100-01-01")"#,
            vec![leaf("periodStart"), leaf("value"), leaf("points")],
        ),
        node(
            "reportingLines",
            "",
            vec![leaf("kind"), leaf("effectiveFrom")],
        ),
        node("stakeholders", "", vec![leaf("name")]),
    ];
    vec![
        node("me", "", vec![leaf("subject"), leaf("role")]),
        node(
            "maturityStages",
            "",
            vec![
                leaf("key"),
                leaf("ordinal"),
                node("kpis", "", vec![leaf("key"), leaf("stage")]),
            ],
        ),
        node(
            "leadershipPriorities",
            "",
            vec![leaf("key"), leaf("ordinal"), leaf("name")],
        ),
        node(
            "organizations",
            "(first: 4)",
            vec![
                leaf("totalCount"),
                node("nodes", "", organization),
                node("pageInfo", "", vec![leaf("hasNextPage")]),
            ],
        ),
    ]
}

/// The same selections in another order at every level, decided by `seed`.
fn shuffled(selections: &[Sel], seed: &mut u64) -> Vec<Sel> {
    let mut out: Vec<Sel> = selections
        .iter()
        .map(|sel| Sel {
            children: shuffled(&sel.children, seed),
            ..sel.clone()
        })
        .collect();
    // Fisher–Yates with a xorshift generator: the same seed, the same document.
    for i in (1..out.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
    out
}

fn render(selections: &[Sel]) -> String {
    let fields: Vec<String> = selections
        .iter()
        .map(|sel| {
            if sel.children.is_empty() {
                format!("{}{}", sel.key, sel.args)
            } else {
                format!("{}{} {}", sel.key, sel.args, render(&sel.children))
            }
        })
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

/// Every object in `value` has exactly the keys of `selections`, in their order.
fn assert_in_order(selections: &[Sel], value: &Value, path: &str) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_in_order(selections, item, &format!("{path}[{i}]"));
            }
        }
        Value::Object(object) => {
            let asked: Vec<&str> = selections.iter().map(|sel| sel.key).collect();
            let answered: Vec<&str> = object.keys().map(String::as_str).collect();
            assert_eq!(answered, asked, "the keys of {path}");
            for sel in selections {
                assert_in_order(
                    &sel.children,
                    &object[sel.key],
                    &format!("{path}.{}", sel.key),
                );
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn fields_come_back_in_the_order_they_were_asked_at_every_level() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..12 {
            // The dashboard as written, then eleven shuffles of it.
            let selections = if round == 0 {
                dashboard()
            } else {
                shuffled(&dashboard(), &mut seed)
            };
            let document = render(&selections);
            let data = app.ok(&document, json!({})).await;
            assert_eq!(
                data["organizations"]["nodes"].as_array().map(Vec::len),
                Some(4),
                "the demo's organizations are there: {data}"
            );
            assert_in_order(&selections, &data, "data");
        }
    })
    .await;
}

#[tokio::test]
async fn a_field_that_fails_leaves_null_in_its_place_or_in_its_nearest_nullable_parent() {
    on_each_backend(|app| async move {
        let org = app.create_org("shape-co").await;

        // A nullable field that fails: `null` in its place, its siblings answered.
        let body = app
            .graphql(
                r#"{ a: __typename organization(id: "not-an-id") { slug } me { role } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            serde_json::to_string(&body["data"]).unwrap(),
            r#"{"a":"Query","organization":null,"me":{"role":"ADMIN"}}"#,
            "{body}"
        );
        assert_eq!(code(&body["errors"][0]), "BAD_USER_INPUT", "{body}");
        assert_eq!(field(&body["errors"][0]), "id", "{body}");
        assert_eq!(body["errors"][0]["path"], json!(["organization"]), "{body}");

        // A non-null field that fails (`kpiSeries: [KpiSeriesPoint!]!`): its nullable
        // parent `organization` is null; the error keeps the failed field's path.
        let body = app
            .graphql(
                r#"query($id: ID!) {
                    organization(id: $id) {
                        slug
                        kpiSeries(kpi: "no_such_kpi", granularity: WEEK, from: "2026-01-01", to: "2026-02-01") { value }
                    }
                    me { role }
                }"#,
                json!({ "id": org }),
            )
            .await;
        assert_eq!(
            serde_json::to_string(&body["data"]).unwrap(),
            r#"{"organization":null,"me":{"role":"ADMIN"}}"#,
            "{body}"
        );
        assert_eq!(code(&body["errors"][0]), "NOT_FOUND", "{body}");
        assert_eq!(
            body["errors"][0]["path"],
            json!(["organization", "kpiSeries"]),
            "{body}"
        );
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");

        // A non-null root field that fails: no parent may be null, so `data` is.
        let body = app
            .graphql(
                r#"{ me { role } kpiSeries(organizationId: "not-an-id", kpi: "mqls", granularity: WEEK, from: "2026-01-01", to: "2026-02-01") { value } }"#,
                json!({}),
            )
            .await;
        assert_eq!(body["data"], Value::Null, "{body}");
        assert!(body.as_object().unwrap().contains_key("data"), "{body}");
        assert_eq!(body["errors"][0]["path"], json!(["kpiSeries"]), "{body}");

        // Mutations run one after the other and stop at the first that fails (their
        // payloads are non-null): the second is not run.
        let body = app
            .graphql(
                r#"mutation {
                    bad: createOrganization(input: { name: "Bad", slug: "x" }) { slug }
                    good: createOrganization(input: { name: "Good", slug: "shape-good" }) { slug }
                }"#,
                json!({}),
            )
            .await;
        assert_eq!(body["data"], Value::Null, "{body}");
        assert_eq!(field(&body["errors"][0]), "input.slug", "{body}");
        let found = app
            .ok(r#"{ organization(slug: "shape-good") { slug } }"#, json!({}))
            .await;
        assert_eq!(found["organization"], Value::Null, "not created: {found}");
    })
    .await;
}

#[tokio::test]
async fn an_anonymous_request_is_refused_before_it_runs_and_answers_no_data() {
    on_each_backend(|app| async move {
        // A request error (GraphQL over HTTP): nothing was executed, so there is no
        // `data` at all — not a `data` holding some fields and leaving others out.
        let response = app
            .get_anonymous(
                "/graphql?query=%7B%20__typename%20organization(slug%3A%20%22lumen-health%22)%20%7B%20slug%20%7D%20%7D",
            )
            .await;
        let body: Value = response.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{body}");
    })
    .await;
}
