// The session: its token pair in localStorage (one tab at a time refreshes it), renewed with
// `sessionRefresh` when the server says UNAUTHENTICATED (HTTP) or closes the socket with 4403,
// and ended on 4401, on a refused refresh, or by the user (`logout`).
import LogoutDocument from "./documents/Logout.graphql";
import SessionRefreshDocument from "./documents/SessionRefresh.graphql";
import { locale } from "./i18n";
import { signal } from "./signal";

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

const KEY = "ediary.session";

function load(): Tokens | null {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "null") as Tokens | null;
    return saved && typeof saved.accessToken === "string" && typeof saved.refreshToken === "string" ? saved : null;
  } catch {
    return null;
  }
}

export const session = signal<Tokens | null>(load());
/** Why the last session ended without the user asking (shown on the login screen). */
export const endedByServer = signal(false);

/** The last answer of a screen ("ediary.cache.<key>"), for reading it offline (PWA): given a
 * value, keeps and returns it; without one, returns what was kept. Dropped with the session. */
export function kept<T>(key: string, value: T | undefined): T | undefined {
  const name = `ediary.cache.${key}`;
  if (value !== undefined) {
    try {
      localStorage.setItem(name, JSON.stringify(value));
    } catch {
      /* storage full: the screen still shows */
    }
    return value;
  }
  try {
    return (JSON.parse(localStorage.getItem(name) ?? "null") as T | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** What the screens kept for reading offline ("ediary.cache.*"): one person's, never the next's. */
function dropKept(): void {
  const kept = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i)).filter((key) => key?.startsWith("ediary.cache."));
  for (const key of kept) if (key) localStorage.removeItem(key);
}

export function signIn(tokens: Tokens): void {
  if (session.get() === null) dropKept(); // a new sign-in, not a renewed token
  localStorage.setItem(KEY, JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }));
  endedByServer.set(false);
  session.set({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
}

function forget(): void {
  localStorage.removeItem(KEY);
  dropKept();
  session.set(null);
}

/** The server ended the session (4401, a refused refresh): back to the login screen. */
export function sessionEnded(): void {
  if (session.get() === null) return;
  endedByServer.set(true);
  forget();
}

/** The user signs out: the session ends on the server too (its sockets close). */
export async function signOut(): Promise<void> {
  const tokens = session.get();
  forget();
  if (tokens) {
    await send(LogoutDocument, { input: { refreshToken: tokens.refreshToken } }, tokens.accessToken).catch(() => undefined);
  }
}

let refreshing: Promise<boolean> | null = null;

/** A new token pair for the session (one request however many callers ask at once); false
 * when the session is over (and then it is signed out). */
export function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const tokens = session.get();
  if (!tokens) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const result = await send(SessionRefreshDocument, { input: { refreshToken: tokens.refreshToken } });
      const answer = result.data?.sessionRefresh as { __typename: string; accessToken?: string; refreshToken?: string } | undefined;
      if (answer?.__typename === "LoginSuccess" && answer.accessToken && answer.refreshToken) {
        signIn({ accessToken: answer.accessToken, refreshToken: answer.refreshToken });
        return true;
      }
      sessionEnded();
      return false;
    } catch {
      return false; // the network: keep the session, try again later
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface Result {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Headers of every request: the language, and the session's token when there is one. */
export function headers(token: string | null | undefined): Record<string, string> {
  const result: Record<string, string> = {
    "Accept-Language": locale.get(),
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json",
  };
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

/** POST one trusted document by its hash (Apollo's persisted queries): the document's text goes
 * only when the server does not know the hash yet, and a server with a trusted-documents
 * manifest knows every one of the app's (dist/trusted-documents.json). */
export async function post(
  document: { text: string; hash: string },
  operationName: string | undefined,
  variables: unknown,
  token: string | null | undefined,
  signal?: AbortSignal | null,
): Promise<Response> {
  const extensions = { persistedQuery: { version: 1, sha256Hash: document.hash } };
  const request = (withText: boolean) =>
    fetch("/graphql", {
      method: "POST",
      headers: headers(token),
      body: JSON.stringify({ operationName, variables, extensions, ...(withText ? { query: document.text } : {}) }),
      signal,
    });
  const first = await request(false);
  const body = (await first.clone().json().catch(() => null)) as Result | null;
  if (body?.errors?.some((e) => e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND")) return request(true);
  return first;
}

async function send(document: { text: string; hash: string }, variables: unknown, token?: string): Promise<Result> {
  const response = await post(document, undefined, variables, token);
  return (await response.json()) as Result;
}
