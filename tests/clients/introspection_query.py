"""Prints graphql-core's standard introspection query with every option on, as Python's
gql sends it; tests/api/introspection.rs runs it against orgdesign. graphql-core is
installed in tests/clients/python (see requirements.txt)."""

import sys

from graphql import get_introspection_query

sys.stdout.write(
    get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        input_object_one_of=True,
    )
)
