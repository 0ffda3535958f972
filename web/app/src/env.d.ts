/// <reference types="vite/client" />

/** A trusted document (src/documents/*.graphql through the trustedDocuments plugin). */
declare module "*.graphql" {
  const document: { text: string; hash: string };
  export default document;
}
