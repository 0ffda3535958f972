// urql over the session: every operation is one of src/documents (sent by hash, see post()),
// with the session's token; an UNAUTHENTICATED answer renews the token once and sends it again.
import { Client, fetchExchange } from "@urql/core";

import { post, refresh, session, type Result } from "./session";

const BY_NAME = new Map<string, { text: string; hash: string }>();

/** A document the app sends, by its one operation's name (each file of src/documents holds one). */
export function trusted(document: { text: string; hash: string }): string {
  const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(document.text)?.[1];
  if (!name) throw new Error("a document of the app names its operation");
  BY_NAME.set(name, document);
  return document.text;
}

function unauthenticated(body: Result | null): boolean {
  return !!body?.errors?.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}

async function sessionFetch(_input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = JSON.parse(String(init?.body)) as { operationName?: string; query: string; variables?: unknown };
  const document = request.operationName ? BY_NAME.get(request.operationName) : undefined;
  if (!document) throw new Error(`not a trusted document: ${request.operationName ?? "(anonymous)"}`);
  const send = () => post(document, request.operationName, request.variables, session.get()?.accessToken, init?.signal);
  const response = await send();
  if (session.get() && unauthenticated((await response.clone().json().catch(() => null)) as Result | null)) {
    if (await refresh()) return send();
  }
  return response;
}

export const client = new Client({
  url: "/graphql",
  exchanges: [fetchExchange],
  fetch: sessionFetch,
  preferGetMethod: false,
  requestPolicy: "network-only",
});
