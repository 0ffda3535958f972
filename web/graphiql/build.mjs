// Bundles src/graphiql.js (React, GraphiQL, the explorer, graphql-ws) into dist/graphiql.js and
// dist/graphiql.css, with every font and image inlined: the page loads nothing but these two.
import { build } from "esbuild";

await build({
  entryPoints: ["src/graphiql.js"],
  outdir: "dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".svg": "dataurl", ".png": "dataurl" },
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  logLevel: "info",
});
