// graphql-js's own executor as the reference for orgdesign's answers
// (tests/api/response_shape.rs): the order of keys at every level, and where a failed
// field leaves `null` — in its own place when the schema lets it be null, in the
// nearest nullable parent's place when it does not, `data: null` when no parent may be.
//
// Reads {"schema": <path to schema.graphql>, "cases": [{"query", "variables", "answer"}]}
// on stdin, where `answer` is orgdesign's whole response to that document. For each
// case graphql-js executes the same document over the committed schema with a stub
// resolver that plays back orgdesign's answer: a field orgdesign reported an error at
// throws; a field with an error somewhere beneath it answers a bare value of its type
// (so that graphql-js decides itself how far the failure reaches); any other field
// answers what orgdesign answered at that path. A well-behaved answer comes back from
// graphql-js unchanged, key order included. Prints one JSON line:
// [{"same": bool, "orgdesign": {data, errorPaths}, "graphqljs": {data, errorPaths}}, ...].
import { readFileSync } from "node:fs";
import {
  buildSchema,
  execute,
  parse,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isLeafType,
  responsePathAsArray,
} from "graphql";

const input = JSON.parse(readFileSync(0, "utf8"));
const schema = buildSchema(readFileSync(input.schema, "utf8"));

const key = (path) => JSON.stringify(path);
const isBeneath = (path, under) =>
  path.length >= under.length && under.every((segment, i) => path[i] === segment);

// A value of the field's type: one item for a list, an empty object for an object
// (its fields are asked in turn), a valid leaf.
function bare(type) {
  if (isNonNullType(type)) return bare(type.ofType);
  if (isListType(type)) return [bare(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (!isLeafType(type)) return {};
  return { Int: 1, Float: 1.5, Boolean: true }[type.name] ?? "stub";
}

function at(data, path) {
  let value = data;
  for (const segment of path) {
    if (value === null || value === undefined) return undefined;
    value = value[segment];
  }
  return value;
}

const errorPaths = (errors) => (errors ?? []).filter((e) => e.path).map((e) => key(e.path)).sort();

const results = [];
for (const { query, variables, answer } of input.cases) {
  const failed = (answer.errors ?? []).filter((e) => e.path).map((e) => e.path);
  const reference = await execute({
    schema,
    document: parse(query),
    variableValues: variables ?? {},
    fieldResolver: (_source, _args, _context, info) => {
      const path = responsePathAsArray(info.path);
      if (failed.some((f) => key(f) === key(path))) {
        throw new Error("failed in orgdesign's answer");
      }
      if (failed.some((f) => isBeneath(f, path))) {
        return bare(info.returnType);
      }
      // Undefined where orgdesign's answer has no value: beneath a failure's `null`
      // (a value of the type, as above), or a key orgdesign left out (graphql-js
      // then answers one, and the two differ).
      const found = at(answer.data, path);
      return found === undefined ? bare(info.returnType) : found;
    },
    // The type orgdesign named (when the document asked for `__typename`), or the
    // first that fits.
    typeResolver: (value, _context, info, abstractType) =>
      value?.__typename ??
      (isAbstractType(abstractType) ? info.schema.getPossibleTypes(abstractType)[0].name : undefined),
  });
  const ours = { data: answer.data ?? null, errorPaths: errorPaths(answer.errors) };
  const theirs = { data: reference.data ?? null, errorPaths: errorPaths(reference.errors) };
  results.push({ same: JSON.stringify(ours) === JSON.stringify(theirs), orgdesign: ours, graphqljs: theirs });
}
console.log(JSON.stringify(results));
