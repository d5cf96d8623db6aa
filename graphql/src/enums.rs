//! The domain's enumerations as GraphQL enums.
//!
//! The domain derives nothing of async-graphql, so each enum the schema shows is
//! declared here again, with `From` both ways (what async-graphql's `remote` enums
//! generate). The model's enumerations come from the domain's own list
//! ([`orgdesign_domain::with_model_enums`]), docs included, so names, variants and the
//! SDL's descriptions cannot drift from the domain's; the few declared elsewhere in
//! the domain are mirrored below with `remote`.

use async_graphql::Enum;

/// Declares the GraphQL enum of one of the domain's model enumerations, and the
/// conversions both ways.
macro_rules! graphql_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The stored key, also its name in the API.
            pub fn as_str(self) -> &'static str {
                orgdesign_domain::$name::from(self).as_str()
            }

            /// Reads a stored key (see the domain's `from_db`).
            pub fn from_db(raw: &str) -> orgdesign_domain::error::Result<Self> {
                orgdesign_domain::$name::from_db(raw).map(Self::from)
            }
        }

        impl From<$name> for orgdesign_domain::$name {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => Self::$variant),+
                }
            }
        }

        impl From<orgdesign_domain::$name> for $name {
            fn from(value: orgdesign_domain::$name) -> Self {
                match value {
                    $(orgdesign_domain::$name::$variant => Self::$variant),+
                }
            }
        }
    };
}

orgdesign_domain::with_model_enums!(graphql_enum);

/// A principal's role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(remote = "orgdesign_domain::auth::Role")]
pub enum Role {
    /// Reads and changes every organization; alone may create and archive them.
    Admin,
    /// Reads and changes the structure, KPIs, scenarios, tokens and webhooks of its
    /// organizations.
    Editor,
    /// Reads the structure and KPI data of its organizations; changes nothing.
    Viewer,
    /// A system pushing KPI data: reads KPI data of its organizations and pushes
    /// points, never reads the structure.
    Integration,
}

/// How much an insight matters.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[graphql(remote = "orgdesign_domain::insights::Severity")]
pub enum Severity {
    /// The least severe: for information.
    Info,
    /// A likely problem, worth a look.
    Warning,
    /// The most severe: a problem to act on.
    Critical,
}

/// The formats `chart` renders the org chart in.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "orgdesign_domain::charts::ChartFormat")]
pub enum ChartFormat {
    /// A Mermaid `flowchart` (renders in Markdown viewers, GitHub and most wikis).
    Mermaid,
    /// Graphviz DOT, for `dot -Tsvg` or any Graphviz-based tool.
    Dot,
    /// A standalone SVG document, laid out and drawn by orgdesign.
    Svg,
}
