// The family app, built into dist/ (served by the server at /): one JS and one CSS file under
// /assets/, hashed names, nothing from any other origin (the page's CSP allows only this one).
import { defineConfig } from "vite";

import { precompressed, serviceWorker, trustedDocuments } from "./documents";

export default defineConfig({
  base: "/",
  plugins: [trustedDocuments(), precompressed(), serviceWorker()],
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    target: "es2020",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` (port 8130) talks to `make run`'s server (127.0.0.1:8000).
    port: 8130,
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } },
  },
});
