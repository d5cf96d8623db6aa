//! Which operation of its document a GraphQL request runs: asked once per request by
//! everything that must know before execution (GET's query-only rule, the request
//! timeout that spares mutations, the WebSocket's subscriptions-only rule, the name in
//! logs and metrics).

use async_graphql::parser::{
    parse_query,
    types::{ExecutableDocument, OperationType},
};

/// What the HTTP layer knows of a request's operation before running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `operationName` as sent, else the name of the operation the document selects.
    pub name: Option<String>,
    /// The selected operation's type; `None` when nothing is selected (the document does
    /// not parse, `operationName` names no operation, or several operations and no
    /// `operationName`). Such a request fails before anything runs.
    pub kind: Option<OperationType>,
}

impl Operation {
    /// The operation `query` runs under `operation_name`, chosen as async-graphql
    /// chooses it: the operation of that name, else the document's only operation.
    pub fn select(query: &str, operation_name: Option<&str>) -> Self {
        // A document nested too deep is not parsed at all; admission refuses it.
        let parsed = orgdesign_graphql::limits::check_text(query)
            .ok()
            .and_then(|()| parse_query(query).ok());
        match parsed {
            Some(document) => Self::in_document(&document, operation_name),
            None => Self {
                name: operation_name.map(str::to_owned),
                kind: None,
            },
        }
    }

    /// [`Operation::select`] for a request as async-graphql holds it. The document is
    /// parsed into the request, so running it does not parse it again.
    pub fn of(request: &mut async_graphql::Request) -> Self {
        let operation_name = request.operation_name.clone();
        if orgdesign_graphql::limits::check_text(&request.query).is_err() {
            return Self {
                name: operation_name,
                kind: None,
            };
        }
        match request.parsed_query() {
            Ok(document) => Self::in_document(document, operation_name.as_deref()),
            Err(_) => Self {
                name: operation_name,
                kind: None,
            },
        }
    }

    /// The operation a parsed `document` runs under `operation_name`.
    fn in_document(document: &ExecutableDocument, operation_name: Option<&str>) -> Self {
        let mut operations = document.operations.iter().filter(|(name, _)| {
            operation_name.is_none() || name.map(|n| n.as_str()) == operation_name
        });
        let selected = match (operations.next(), operations.next()) {
            (Some((name, operation)), None) => {
                Some((name.map(|n| n.to_string()), operation.node.ty))
            }
            _ => None,
        };
        let (selected_name, kind) = selected.unzip();
        Self {
            name: operation_name
                .map(str::to_owned)
                .or_else(|| selected_name.flatten()),
            kind,
        }
    }

    /// The name for logs and metrics: the operation's, else `anonymous`.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("anonymous")
    }

    /// Whether the selected operation is of type `kind`.
    pub fn is(&self, kind: OperationType) -> bool {
        self.kind == Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_only_operation_is_selected_without_a_name() {
        let op = Operation::select("mutation Make { createOrganization { id } }", None);
        assert_eq!(op.name.as_deref(), Some("Make"));
        assert!(op.is(OperationType::Mutation));
        let anonymous = Operation::select("{ me { role } }", None);
        assert_eq!(anonymous.label(), "anonymous");
        assert!(anonymous.is(OperationType::Query));
    }

    #[test]
    fn operation_name_picks_one_of_several() {
        let document = "query Read { me { role } } mutation Write { x } subscription Watch { y }";
        assert!(Operation::select(document, Some("Write")).is(OperationType::Mutation));
        assert!(Operation::select(document, Some("Watch")).is(OperationType::Subscription));
        assert!(Operation::select(document, Some("Read")).is(OperationType::Query));
    }

    #[test]
    fn nothing_is_selected_when_the_choice_is_ambiguous_or_unknown() {
        let document = "query Read { me { role } } mutation Write { x }";
        assert_eq!(Operation::select(document, None).kind, None);
        let unknown = Operation::select(document, Some("Other"));
        assert_eq!(unknown.kind, None);
        assert_eq!(
            unknown.label(),
            "Other",
            "the name as sent, for the metrics"
        );
        assert_eq!(
            Operation::select("{ me { role } }", Some("Named")).kind,
            None
        );
        assert_eq!(Operation::select("{ broken", None).kind, None);
    }
}
