// Vite plugin: every src/documents/*.graphql file is one trusted document. Importing it gives its
// exact text and sha256 (what `make trusted-manifest DOCUMENTS=web/app/src/documents` lists), and
// the build writes dist/trusted-documents.json, the manifest EDIARY_TRUSTED_DOCUMENTS accepts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

export function trustedDocuments(): Plugin {
  const manifest: Record<string, string> = {};
  return {
    name: "ediary-trusted-documents",
    load(id) {
      if (!id.endsWith(".graphql")) return null;
      const text = readFileSync(id, "utf-8");
      const hash = sha256(text);
      manifest[hash] = text;
      return `export default ${JSON.stringify({ text, hash })};`;
    },
    generateBundle() {
      const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
      this.emitFile({ type: "asset", fileName: "trusted-documents.json", source: JSON.stringify(sorted, null, 2) + "\n" });
    },
  };
}
