// graphql-eslint's Relay rules on the repository's schema.graphql (ESLint 9, flat config), with
// no warnings allowed: `npm run lint` here (it runs ESLint from the repository's root with this
// file: ESLint ignores files outside a config file's folder otherwise), or `make relay`.
import { fileURLToPath } from "node:url";

import graphql from "@graphql-eslint/eslint-plugin";

const SCHEMA = fileURLToPath(new URL("../../schema.graphql", import.meta.url));

export default [
  {
    files: ["schema.graphql"],
    languageOptions: {
      parser: graphql.parser,
      parserOptions: { graphQLConfig: { schema: SCHEMA } },
    },
    plugins: { "@graphql-eslint": graphql },
    rules: {
      // A `...Connection` type is an object type with `edges: [XEdge...]` and `pageInfo: PageInfo!`.
      "@graphql-eslint/relay-connection-types": "error",
      // An edge type is an object type named `...Edge` with `cursor` and a `node` that implements
      // `Node` (shouldImplementNode, on). listTypeCanWrapOnlyEdgeType is off: it would require
      // every list of the schema to be a list of edges, and most of this schema's lists are whole
      // by nature and never paged (a diary day's lessons, a parent's children, ValidationError's
      // fields); every list that can grow past a page is a connection, and its `edges` list is
      // still checked to wrap an edge type.
      "@graphql-eslint/relay-edge-types": ["error", { listTypeCanWrapOnlyEdgeType: false }],
      // One `PageInfo` with hasNextPage/hasPreviousPage: Boolean! and startCursor/endCursor.
      "@graphql-eslint/relay-page-info": "error",
      // Every field that returns a connection takes both first/after and last/before (includeBoth).
      "@graphql-eslint/relay-arguments": "error",
      // Off: it wants an `id: ID!` on every object type, and of this schema's object types only
      // the entities have one (they implement `Node`, refetchable by `node(id:)`). The others have
      // no identity of their own: mutation results (`...Success`, the `Error` types), connections,
      // edges, PageInfo, Viewer, and values computed or nested in a parent (statistics, diary
      // days, journal cells, revisions), which Relay stores under their parent. That every paged
      // item is a `Node` is relay-edge-types' shouldImplementNode above.
      "@graphql-eslint/strict-id-in-types": "off",
    },
  },
];
