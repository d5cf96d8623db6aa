//! Whatever a schema-driven fuzzer sends gets a clean domain error: never INTERNAL,
//! never a 5xx, never an error without a code.

use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, on_each_backend};

const INTROSPECTION: &str = r#"
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
{ __schema {
    queryType { fields { name args { name type { ...T } } type { ...T } } }
    mutationType { fields { name args { name type { ...T } } type { ...T } } }
    types { name kind inputFields { name type { ...T } } enumValues { name } }
} }"#;

/// Adversarial values, one family per variant.
const VARIANTS: usize = 6;

struct Fuzzer {
    types: Map<String, Value>,
    real_ids: Vec<String>,
}

fn type_string(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_string(&t["ofType"])),
        "LIST" => format!("[{}]", type_string(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

fn named(t: &Value) -> &Value {
    if t["ofType"].is_object() {
        named(&t["ofType"])
    } else {
        t
    }
}

impl Fuzzer {
    fn scalar(&self, name: &str, variant: usize) -> Value {
        match name {
            "String" => [
                json!("\u{0}"),
                json!(""),
                json!("x".repeat(10_000)),
                json!("Robert'); DROP TABLE organization;--"),
                json!("\u{202e}ünïcödé 😀 \u{1}"),
                json!("%_\\"),
            ][variant]
                .clone(),
            "ID" => [
                json!(""),
                json!("not-a-uuid"),
                json!(uuid::Uuid::now_v7().to_string()),
                json!(self.real_ids[0]),
                json!(self.real_ids[1 % self.real_ids.len()]),
                json!("\u{0}"),
            ][variant]
                .clone(),
            "Int" => [
                json!(-1),
                json!(0),
                json!(i32::MAX),
                json!(i32::MIN),
                json!(1),
                json!(100),
            ][variant]
                .clone(),
            "Boolean" => json!(variant.is_multiple_of(2)),
            "NaiveDate" => [
                json!("0001-01-01"),
                json!("9999-12-31"),
                json!("2024-02-30"),
                json!("2024-01-01"),
                json!("not a date"),
                json!("2024-01-02"),
            ][variant]
                .clone(),
            "DateTime" => json!("2024-01-01T00:00:00Z"),
            "Decimal" => [
                json!("0.0000001"),
                json!("-99999999999999999999"),
                json!("1e5"),
                json!("NaN"),
                json!("12.5"),
                json!(""),
            ][variant]
                .clone(),
            other => panic!("the fuzzer does not know the scalar {other}; teach it"),
        }
    }

    fn value(&self, t: &Value, variant: usize, depth: usize) -> Option<Value> {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => self.value(&t["ofType"], variant, depth),
            "LIST" => self.value(&t["ofType"], variant, depth).map(|v| json!([v])),
            "SCALAR" => Some(self.scalar(t["name"].as_str().unwrap(), variant)),
            "ENUM" => {
                let def = &self.types[t["name"].as_str().unwrap()];
                let values = def["enumValues"].as_array().unwrap();
                Some(values[variant % values.len()]["name"].clone())
            }
            "INPUT_OBJECT" => {
                if depth > 3 {
                    return None;
                }
                let def = &self.types[t["name"].as_str().unwrap()];
                let mut object = Map::new();
                for field in def["inputFields"].as_array().unwrap() {
                    if let Some(v) = self.value(&field["type"], variant, depth + 1) {
                        object.insert(field["name"].as_str().unwrap().to_owned(), v);
                    }
                }
                Some(Value::Object(object))
            }
            _ => None,
        }
    }

    fn operation(&self, kind: &str, field: &Value, variant: usize) -> (String, Value) {
        let mut params = Vec::new();
        let mut args = Vec::new();
        let mut variables = Map::new();
        for (i, arg) in field["args"].as_array().unwrap().iter().enumerate() {
            if let Some(value) = self.value(&arg["type"], variant, 0) {
                params.push(format!("$v{i}: {}", type_string(&arg["type"])));
                args.push(format!("{}: $v{i}", arg["name"].as_str().unwrap()));
                variables.insert(format!("v{i}"), value);
            }
        }
        let selection = match named(&field["type"])["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
            _ => "",
        };
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("({})", params.join(", "))
        };
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let name = field["name"].as_str().unwrap();
        (
            format!("{kind} Fuzz{params} {{ {name}{args}{selection} }}"),
            Value::Object(variables),
        )
    }
}

#[tokio::test]
async fn schema_driven_fuzz_inputs_never_cause_internal_errors_or_5xx() {
    on_each_backend(|app: TestApp| async move {
        let org = app.create_org("fuzz-target").await;
        let unit = app.create_unit(&org, "Marketing", "MARKETING").await;
        let schema = app.ok(INTROSPECTION, json!({})).await["__schema"].clone();
        let types = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        let fuzzer = Fuzzer {
            types,
            real_ids: vec![unit, org],
        };
        let mut sent = 0;
        for (kind, root) in [
            ("query", &schema["queryType"]),
            ("mutation", &schema["mutationType"]),
        ] {
            for field in root["fields"].as_array().unwrap() {
                for variant in 0..VARIANTS {
                    let (query, variables) = fuzzer.operation(kind, field, variant);
                    let response = app
                        .client
                        .post(format!("{}/graphql", app.address))
                        .json(&json!({ "query": query, "variables": variables }))
                        .send()
                        .await
                        .unwrap();
                    let status = response.status();
                    let body: Value = response.json().await.unwrap();
                    assert!(status.as_u16() < 500, "{status} for {query} {variables}");
                    for error in body["errors"].as_array().into_iter().flatten() {
                        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
                        assert!(
                            ["BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "LIMIT_EXCEEDED"]
                                .contains(&code),
                            "[{:?}] {code} for {query}\nvariables: {}\nerror: {error}",
                            app.backend,
                            serde_json::to_string(&variables)
                                .unwrap()
                                .chars()
                                .take(300)
                                .collect::<String>()
                        );
                    }
                    sent += 1;
                }
            }
        }
        assert!(
            sent > 50,
            "the fuzzer covered the schema ({sent} operations)"
        );
    })
    .await;
}
