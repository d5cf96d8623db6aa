//! The committed SDL matches the code.

#[test]
fn the_committed_schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the repository root");
    let generated = orgdesign_graphql::schema::sdl();
    assert!(
        committed == generated,
        "schema.graphql is out of date; regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

/// docs/api.md's "Enums" section lists every enum of the schema with exactly its
/// values, so a value added to the code and not to the manual fails here.
#[test]
fn every_enum_value_of_the_schema_is_in_the_manual() {
    use std::collections::BTreeMap;

    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    let sdl = orgdesign_graphql::schema::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let schema: BTreeMap<String, Vec<String>> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) => match &ty.node.kind {
                TypeKind::Enum(e) => Some((
                    ty.node.name.node.to_string(),
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                )),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(schema.len() > 10, "{schema:?}");

    let manual = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md"))
        .expect("docs/api.md is committed");
    let section = manual
        .split("\n## Enums\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/api.md has an \"## Enums\" section");
    let mut documented: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        if let Some(name) = line
            .strip_prefix("### `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            current = Some(name.to_owned());
            documented.entry(name.to_owned()).or_default();
        } else if let (Some(name), Some(value)) = (
            &current,
            line.strip_prefix("| `")
                .and_then(|rest| rest.split_once("` |"))
                .map(|(value, _)| value),
        ) {
            documented
                .entry(name.clone())
                .or_default()
                .push(value.to_owned());
        }
    }
    assert_eq!(
        documented, schema,
        "docs/api.md's Enums section and the schema differ (left: the manual, right: the schema)"
    );
}

/// GraphiQL's docs pane is the admins' manual: every type, field, argument, input field
/// and enum value of the schema the server generates says what it is. Directive
/// definitions are left out: the schema declares none of its own, and those it prints
/// (`@skip`, `@include`, `@deprecated`, `@oneOf`, `@specifiedBy`) are the GraphQL
/// spec's, as async-graphql words them. Built-in scalars and introspection types are
/// not in the SDL, so they are out of reach here as in GraphiQL.
#[test]
fn every_element_of_the_schema_has_a_description() {
    use async_graphql::{
        Positioned,
        parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition},
    };

    fn described(description: &Option<Positioned<String>>) -> bool {
        description
            .as_ref()
            .is_some_and(|d| !d.node.trim().is_empty())
    }

    let undescribed = |values: &[Positioned<InputValueDefinition>],
                       owner: &dyn Fn(&str) -> String| {
        values
            .iter()
            .filter(|v| !described(&v.node.description))
            .map(|v| owner(v.node.name.node.as_str()))
            .collect::<Vec<_>>()
    };

    let sdl = orgdesign_graphql::schema::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut missing = Vec::new();
    let mut elements = 0;
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.as_str();
        elements += 1;
        if !described(&ty.node.description) {
            missing.push(format!("type {name}"));
        }
        let fields = match &ty.node.kind {
            TypeKind::Object(object) => &object.fields[..],
            TypeKind::Interface(interface) => &interface.fields[..],
            TypeKind::InputObject(input) => {
                elements += input.fields.len();
                missing.extend(undescribed(&input.fields, &|field| {
                    format!("{name}.{field}")
                }));
                &[]
            }
            TypeKind::Enum(e) => {
                elements += e.values.len();
                missing.extend(
                    e.values
                        .iter()
                        .filter(|v| !described(&v.node.description))
                        .map(|v| format!("{name}.{}", v.node.value.node)),
                );
                &[]
            }
            TypeKind::Scalar | TypeKind::Union(_) => &[],
        };
        for field in fields {
            let field_name = format!("{name}.{}", field.node.name.node);
            elements += 1 + field.node.arguments.len();
            if !described(&field.node.description) {
                missing.push(field_name.clone());
            }
            missing.extend(undescribed(&field.node.arguments, &|argument| {
                format!("{field_name}({argument})")
            }));
        }
    }
    assert!(elements > 900, "the SDL has only {elements} elements");
    assert!(
        missing.is_empty(),
        "{} of {elements} schema elements have no description (a `///` on the Rust item, \
         `#[graphql(desc = \"…\")]` on a resolver's argument):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}
