// GraphQL Code Generator: Apollo Client's `possibleTypes` (every interface and union with the
// types that implement or belong to it) from the running server's SDL, GET /schema.graphql
// (served wherever introspection is allowed). `EDIARY_URL=http://127.0.0.1:8000 npm run codegen`.
const url = process.env.EDIARY_URL || "http://127.0.0.1:8000";

module.exports = {
  schema: `${url}/schema.graphql`,
  generates: {
    "generated/possibleTypes.json": {
      plugins: ["fragment-matcher"],
      config: { apolloClientVersion: 3, deterministic: true },
    },
  },
};
