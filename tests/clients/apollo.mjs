// Drives Apollo Client (the real library, as frontends use it) against a running
// orgdesign: automatic persisted queries over GET, a `Query` type policy, a mutation.
// Usage: node apollo.mjs <graphql url> <bearer token>. Prints one JSON line of what it
// saw; tests/api/clients.rs checks it.
import { ApolloClient, InMemoryCache, HttpLink, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { createHash } from "node:crypto";

const [url, token] = process.argv.slice(2);
const sent = [];
const recordingFetch = async (uri, options) => {
  const target = new URL(uri);
  const body = options.body ? JSON.parse(options.body) : null;
  sent.push({
    method: options.method ?? "GET",
    hasQuery: body ? "query" in body : target.searchParams.has("query"),
    hasHash: (body ? JSON.stringify(body.extensions ?? {}) : target.searchParams.get("extensions") ?? "").includes("sha256Hash"),
  });
  return fetch(uri, options);
};

let policyReads = 0;
const client = new ApolloClient({
  link: createPersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  }).concat(new HttpLink({ uri: url, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } })),
  cache: new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          maturityStages: {
            read(existing) {
              policyReads += 1;
              return existing;
            },
          },
        },
      },
    },
  }),
});

const STAGES = gql`query Stages { __typename maturityStages { key name } }`;
const first = await client.query({ query: STAGES, fetchPolicy: "network-only" });
const second = await client.query({ query: STAGES, fetchPolicy: "network-only" });
const created = await client.mutate({
  mutation: gql`mutation Create($input: CreateOrganizationInput!) { createOrganization(input: $input) { id slug } }`,
  variables: { input: { name: "Apollo Client Co", slug: `apollo-${Date.now()}` } },
});
console.log(JSON.stringify({
  rootTypename: first.data.__typename,
  stages: first.data.maturityStages.length,
  secondStages: second.data.maturityStages.length,
  createdSlug: created.data.createOrganization.slug,
  policyReads,
  sent,
}));
