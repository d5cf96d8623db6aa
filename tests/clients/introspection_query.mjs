// Prints graphql-js's standard introspection query with every option on, as GraphiQL,
// GraphQL Code Generator and Apollo tools send it; tests/api/introspection.rs runs it
// against orgdesign.
import { getIntrospectionQuery } from "graphql";

process.stdout.write(
  getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  }),
);
