// Live events over graphql-ws (graphql-transport-ws), one socket for the whole app: the diary's
// (`followDiary`), the chats' and the inbox's (`followEvents`, `followNotifications`). The socket authenticates in
// connection_init with the session's token; when the token expires the server closes it with 4403
// and the next connection renews the token first; 4401 (the session ended) signs the user out.
// Each subscription resumes from the last cursor it saw (graphql-ws sends the subscription's
// payload again on every connection, so the cursor is kept in its variables), and a cursor seen
// before is never delivered twice.
import { createClient, type Client } from "graphql-ws";

import DiaryEventsDocument from "./documents/DiaryEvents.graphql";
import NotificationEventsDocument from "./documents/NotificationEvents.graphql";
import { locale } from "./i18n";
import { refresh, session, sessionEnded } from "./session";
import type { NotificationEventsSubscription } from "./generated";
import { signal } from "./signal";
import type { DiaryEvent } from "./types";

export type LiveState = "connecting" | "live" | "reconnecting";
export const liveState = signal<LiveState>("connecting");
/** How many times the socket connected again after a close: screens reload what they show then
 * (what changed before their subscription's first cursor is not replayed). */
export const reconnections = signal(0);
let connections = 0;

let socket: Client | null = null;
let socketToken: string | null = null; // the token the open (or last) socket was opened with
let expired = false; // the server closed the socket for its token (4403)

function open(): Client {
  if (socket) return socket;
  socket = createClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
    lazy: true,
    lazyCloseTimeout: 5_000, // moving between screens (each follows the diary) keeps the socket
    retryAttempts: Infinity,
    shouldRetry: () => true, // a dropped network, a restarted server, an expired token (4401 is never retried)
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 15_000) * (0.5 + Math.random() / 2)));
    },
    connectionParams: async () => {
      if (expired && session.get()?.accessToken === socketToken) await refresh();
      expired = false;
      socketToken = session.get()?.accessToken ?? null;
      return { Authorization: `Bearer ${socketToken ?? ""}`, locale: locale.get() };
    },
    on: {
      connected: () => {
        liveState.set("live");
        connections += 1;
        if (connections > 1) reconnections.set(connections - 1);
      },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        if (code === 4401) {
          sessionEnded();
          return;
        }
        if (code === 4403) expired = true;
        // 1000: graphql-ws closed an idle socket (no subscription left, `lazy`): nothing to resume.
        liveState.set(code === 1000 ? "connecting" : "reconnecting");
      },
    },
  });
  return socket;
}

/** Close the socket (signing out, or the session ended). */
export function closeLive(): void {
  socket?.dispose();
  socket = null;
  socketToken = null;
  connections = 0;
  liveState.set("connecting");
}

session.subscribe((tokens) => {
  if (tokens === null) closeLive();
});

/** One resumable subscription (an ``after`` cursor) over the app's socket: resumed from the last
 * cursor seen, none delivered twice. ``onError`` is told when the server ends it with an error;
 * the returned function stops. */
function follow<E extends { cursor: string }>(
  document: { text: string },
  field: string,
  fixed: Record<string, string>,
  onEvent: (event: E) => void,
  onError: (variables: { after: string | null }) => void,
): () => void {
  const seen = new Set<string>();
  const variables: Record<string, string | null> & { after: string | null } = { ...fixed, after: null };
  const operationName = /^\s*subscription\s+(\w+)/.exec(document.text)?.[1];
  return open().subscribe<Record<string, E>>(
    { operationName, query: document.text, variables },
    {
      next: (result) => {
        const event = result.data?.[field];
        if (!event || seen.has(event.cursor)) return;
        seen.add(event.cursor);
        variables.after = event.cursor; // the next connection resumes here
        onEvent(event);
      },
      error: () => onError(variables),
      complete: () => undefined,
    },
  );
}

/** Follow one student's diary events; the returned function stops. An error from the server (the
 * child no longer visible) is not asked again: the bar says the app is reconnecting. */
export function followDiary(studentId: string, onEvent: (event: DiaryEvent) => void): () => void {
  return follow<DiaryEvent>(DiaryEventsDocument, "diaryEvents", { studentId }, onEvent, () => liveState.set("reconnecting"));
}

/** Follow one of the viewer's own resumable subscriptions (chatEvents, notificationEvents). When
 * the server ends it with an error (a cursor it no longer knows: BAD_USER_INPUT) it starts again
 * without a cursor after 2 s, and ``onGap`` tells the screen to read what it shows again (never
 * after sign-out). The returned function stops. */
export function followEvents<E extends { cursor: string }>(
  document: { text: string },
  field: string,
  onEvent: (event: E) => void,
  onGap: () => void = () => undefined,
): () => void {
  let stopped = false;
  let stop: () => void = () => undefined;
  const start = (): void => {
    stop = follow<E>(document, field, {}, onEvent, (variables) => {
      if (stopped) return;
      variables.after = null;
      setTimeout(() => {
        if (stopped || !session.get()) return; // signed out: the screen goes too
        start();
        onGap();
      }, 2000);
    });
  };
  start();
  return () => {
    stopped = true;
    stop();
  };
}

type Notification = NotificationEventsSubscription["notificationEvents"];

/** Follow the viewer's inbox (each new notification) like ``followEvents``, ``onGap`` told when
 * it started again. The returned function stops. */
export function followNotifications(onEvent: (event: Notification) => void, onGap?: () => void): () => void {
  return followEvents<Notification>(NotificationEventsDocument, "notificationEvents", onEvent, onGap);
}
