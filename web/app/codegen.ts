// GraphQL Code Generator: the types of the app's documents (src/documents/*.graphql) against the
// committed schema (../../schema.graphql), into src/generated.ts (not committed; `npm run build`
// writes it first, so a document that no longer fits the schema fails the build).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/documents/*.graphql",
  generates: {
    "src/generated.ts": {
      plugins: ["typescript-operations"],
      config: {
        enumsAsTypes: true,
        avoidOptionals: true,
        skipTypename: false,
        scalars: { Date: "string", DateTime: "string", Time: "string", ID: "string" },
        useTypeImports: true,
      },
    },
  },
  silent: true,
};

export default config;
