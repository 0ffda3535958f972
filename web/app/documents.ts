// Vite plugin: every src/documents/*.graphql file is one trusted document. Importing it gives its
// exact text and sha256 (what `make trusted-manifest DOCUMENTS=web/app/src/documents` lists), and
// the build writes dist/trusted-documents.json, the manifest EDIARY_TRUSTED_DOCUMENTS accepts.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
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

/** Each built script and style also as .gz (level 9), which the server sends to browsers that
 * accept gzip: the first load is the compressed size without compressing on every request. */
export function precompressed(): Plugin {
  return {
    name: "ediary-precompressed",
    writeBundle(options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css)$/.test(fileName)) continue;
        const path = join(options.dir ?? "dist", fileName);
        writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
      }
    },
  };
}

/** The service worker (dist/sw.js): it keeps the page and this build's files, so the installed
 * app opens without a network (the week last read comes from the app's own storage). A new
 * build is a new cache name; the old one is deleted when the new worker takes over. */
export function serviceWorker(): Plugin {
  return {
    name: "ediary-service-worker",
    writeBundle(options, bundle) {
      const files = Object.keys(bundle).filter((name) => name.startsWith("assets/") && !name.endsWith(".gz"));
      const shell = ["/", ...files.map((name) => `/${name}`), "/manifest.webmanifest", "/icon.svg"].sort();
      const version = createHash("sha256").update(shell.join("\n")).digest("hex").slice(0, 12);
      const source = readFileSync(join(import.meta.dirname, "src", "sw.js"), "utf-8")
        .replace('"__VERSION__"', JSON.stringify(version))
        .replace("[] /* __SHELL__ */", JSON.stringify(shell));
      writeFileSync(join(options.dir ?? "dist", "sw.js"), source);
    },
  };
}
