// Writes that must not be lost (issue 23, 5): a chat message or an absence notice goes into this
// outbox first, is shown as waiting, and is sent at once when the network is there, else when it
// comes back (the `online` event, and every 10 s while something waits). The server's typed
// refusal (ValidationError, NotFoundError) is kept with the draft for the user to fix or discard.
// Files chosen for a draft (a doctor's note photographed offline) wait in IndexedDB and are
// uploaded when it is sent (src/uploads.ts).
//
// Exactly once without a client key: the API has no idempotency key for messageSend or
// absenceNoticeCreate, so a draft is marked `attempted` in storage before its request leaves,
// and an attempted draft (the answer was lost: the network dropped, the tab closed) is sent
// again only after the server shows it did not arrive: a message is looked for among the chat's
// messages after the newest one seen before the first attempt (`mark`), by its author and text;
// a notice among the child's notices of its days, by its author and reason (a second notice on
// the same days would be refused anyway: NOTICE_OVERLAPS). One tab drains at a time (Web Locks).
//
// Kept in localStorage as "ediary.cache.outbox": one person's, dropped with the session like what
// the screens keep for reading offline (a shared device never sends the last person's drafts).
import type { OperationResult } from "@urql/core";

import { client, trusted } from "./client";
import AbsenceNoticeCreateDocument from "./documents/AbsenceNoticeCreate.graphql";
import AbsenceNoticesDocument from "./documents/AbsenceNotices.graphql";
import ChatNewestDocument from "./documents/ChatNewest.graphql";
import ChatSinceDocument from "./documents/ChatSince.graphql";
import MessageSendDocument from "./documents/MessageSend.graphql";
import type {
  AbsenceNoticeCreateMutation,
  AbsenceNoticesQuery,
  ChatNewestQuery,
  ChatSinceQuery,
  MessageSendMutation,
} from "./generated";
import { locale } from "./i18n";
import { session } from "./session";
import { signal } from "./signal";
import { dropAllFiles, dropFiles, keepFiles, keptFile, uploadFile } from "./uploads";

const ABSENCE_NOTICE_CREATE = trusted(AbsenceNoticeCreateDocument);
const ABSENCE_NOTICES = trusted(AbsenceNoticesDocument);
const CHAT_NEWEST = trusted(ChatNewestDocument);
const CHAT_SINCE = trusted(ChatSinceDocument);
const MESSAGE_SEND = trusted(MessageSendDocument);

const KEY = "ediary.cache.outbox";
const RETRY_MS = 10_000;

export interface MessageDraft {
  kind: "message";
  input: { chatId: string; text: string; fileIds: string[] };
  /** The attached files' names, to show while it waits. */
  files: string[];
  /** Files chosen but not uploaded yet: their keys in IndexedDB (src/uploads.ts). */
  stored?: string[];
}

export interface NoticeDraft {
  kind: "notice";
  input: { studentId: string; kind: "BY_DAY"; from: string; to: string; reason: string; fileIds: string[] };
  files: string[];
  stored?: string[];
}

export type Draft = MessageDraft | NoticeDraft;

export interface Entry {
  id: string;
  /** Who wrote it (the viewer's user id): the author looked for when reconciling. */
  user: string;
  draft: Draft;
  queuedAt: string;
  state: "waiting" | "sending" | "refused";
  /** A request may have reached the server: look before sending again. */
  attempted: boolean;
  /** A message: the chat's newest message cursor before the first attempt (null: it had none). */
  mark?: string | null;
  /** Why the server refused it, in the user's language, and its code. */
  problem?: string;
  code?: string;
}

function read(): Entry[] {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(saved) ? (saved as Entry[]) : [];
  } catch {
    return [];
  }
}

/** What waits (or was refused), oldest first; screens follow it with useSignal. */
export const outbox = signal<Entry[]>(read());

function write(entries: Entry[]): void {
  if (entries.length) localStorage.setItem(KEY, JSON.stringify(entries));
  else localStorage.removeItem(KEY);
  outbox.set(entries);
}

function change(id: string, patch: Partial<Entry>): void {
  write(read().map((entry) => (entry.id === id ? { ...entry, ...patch } : entry)));
}

/** Remove a draft (sent, or discarded by the user); answers it, for editing it again. */
export function discard(id: string): Entry | undefined {
  const entries = read();
  write(entries.filter((entry) => entry.id !== id));
  const removed = entries.find((entry) => entry.id === id);
  if (removed?.draft.stored?.length) void dropFiles(removed.draft.stored).catch(() => undefined);
  return removed;
}

/** Keep a draft, with the files chosen for it (kept in IndexedDB until they are uploaded), and
 * try to send it now. Fails only when the files cannot be kept (no IndexedDB): upload them first. */
export async function enqueue(user: string, draft: Draft, files: readonly File[] = []): Promise<Entry> {
  // randomUUID only in a secure context (https, localhost): an app served over plain http elsewhere still queues.
  const id = typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  if (files.length) draft = { ...draft, files: [...draft.files, ...files.map((file) => file.name)], stored: await keepFiles(id, files) };
  const entry: Entry = { id, user, draft, queuedAt: new Date().toISOString(), state: "waiting", attempted: false };
  write([...read(), entry]);
  void flush();
  return entry;
}

/** Drafts sent since the page opened (the screens refetch when this changes). */
export const delivered = signal(0);

/** No answer (the network, a server down or restarting, too many requests): try later. */
class Offline extends Error {}

/** A refusal that is not the mutation's own (FORBIDDEN, BAD_USER_INPUT): kept, like a typed one. */
class Refused extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const LATER = new Set(["UNAUTHENTICATED", "RATE_LIMITED", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"]);
/** Refusals that ask to send again (a teacher marked the register at that moment). */
const AGAIN = new Set(["REGISTER_CHANGED"]);

function checked<T>(result: OperationResult<T>): T {
  if (result.data) return result.data;
  const error = result.error?.graphQLErrors[0];
  const code = error?.extensions?.code as string | undefined;
  if (result.error?.networkError || !error || (code && LATER.has(code))) throw new Offline(result.error?.message ?? "no answer");
  throw new Refused(error.message, code);
}

interface Answer {
  __typename: string;
  code?: string;
  message?: string;
  fields?: { field: string; message: string }[];
}

async function landed(entry: Entry): Promise<boolean> {
  const { draft } = entry;
  if (draft.kind === "message") {
    let after = entry.mark ?? null;
    for (let page = 0; page < 10; page += 1) {
      const data = checked(await client.query<ChatSinceQuery>(CHAT_SINCE, { chatId: draft.input.chatId, after }).toPromise());
      const messages = data.chat?.messages;
      if (!messages) return false; // the chat is gone for us: the send answers CHAT_NOT_FOUND
      const text = draft.input.text.trim();
      if (messages.edges.some((edge) => edge.node.author.id === entry.user && edge.node.text?.trim() === text)) return true;
      if (!messages.pageInfo.hasNextPage) return false;
      after = messages.pageInfo.endCursor;
    }
    return false;
  }
  const { studentId, from, to, reason } = draft.input;
  const data = checked(await client.query<AbsenceNoticesQuery>(ABSENCE_NOTICES, { studentId, from, to }).toPromise());
  return (data.student?.absenceNotices ?? []).some((notice) => notice.createdBy.id === entry.user && notice.reason.trim() === reason.trim());
}

async function send(entry: Entry): Promise<Answer> {
  const { draft } = entry;
  if (draft.kind === "message") {
    const data = checked(await client.mutation<MessageSendMutation>(MESSAGE_SEND, { input: draft.input }).toPromise());
    return data.messageSend;
  }
  const data = checked(await client.mutation<AbsenceNoticeCreateMutation>(ABSENCE_NOTICE_CREATE, { input: draft.input }).toPromise());
  return data.absenceNoticeCreate;
}

/** Upload the files a draft keeps; the draft with their upload ids, written back first. */
async function uploaded(entry: Entry): Promise<Entry> {
  const stored = entry.draft.stored ?? [];
  if (!stored.length) return entry;
  const ids = [...entry.draft.input.fileIds];
  for (const key of stored) {
    const file = await keptFile(key);
    if (!file) throw new Refused(locale.get() === "ru" ? "Файл больше не хранится на этом устройстве." : "The file is no longer on this device.", undefined);
    const result = await uploadFile(file);
    if ("offline" in result) throw new Offline("upload");
    if ("problem" in result) throw new Refused(`${file.name}: ${result.problem}`, undefined);
    ids.push(result.id);
  }
  const draft = { ...entry.draft, input: { ...entry.draft.input, fileIds: ids }, stored: [] } as Draft;
  change(entry.id, { draft });
  await dropFiles(stored).catch(() => undefined);
  return { ...entry, draft };
}

/** Send one draft: true when it is done with (sent or refused), false when the network failed. */
async function deliver(queued: Entry): Promise<boolean> {
  change(queued.id, { state: "sending" });
  try {
    const entry = await uploaded(queued);
    if (entry.attempted && (await landed(entry))) {
      discard(entry.id);
      delivered.set(delivered.get() + 1);
      return true;
    }
    let mark = entry.mark;
    if (entry.draft.kind === "message" && !entry.attempted) {
      const data = checked(await client.query<ChatNewestQuery>(CHAT_NEWEST, { chatId: entry.draft.input.chatId }).toPromise());
      mark = data.chat?.messages.pageInfo.endCursor ?? null;
    }
    change(entry.id, { attempted: true, mark }); // before the request leaves
    const answer = await send({ ...entry, attempted: true, mark });
    if (answer.__typename === "MessageSendSuccess" || answer.__typename === "AbsenceNoticeCreateSuccess") {
      discard(entry.id);
      delivered.set(delivered.get() + 1);
    } else if (answer.code && AGAIN.has(answer.code)) {
      change(entry.id, { state: "waiting" }); // nothing was written: the next round sends it again
      return false;
    } else {
      const details = answer.fields?.map((field) => field.message).filter((text) => text && text !== answer.message) ?? [];
      change(entry.id, { state: "refused", code: answer.code, problem: [answer.message, ...details].filter(Boolean).join(" ") });
    }
    return true;
  } catch (error) {
    if (error instanceof Refused) {
      change(queued.id, { state: "refused", code: error.code, problem: error.message });
      return true;
    }
    if (!(error instanceof Offline)) throw error;
    change(queued.id, { state: "waiting" });
    return false;
  }
}

async function drain(): Promise<void> {
  const done = new Set<string>();
  for (;;) {
    if (!session.get()) return;
    const next = read().find((entry) => entry.state !== "refused" && !done.has(entry.id));
    if (!next) return;
    done.add(next.id);
    if (!(await deliver(next))) return; // offline: the rest waits too, in order
  }
}

let running: Promise<void> | null = null;

/** Send what waits, oldest first; one tab at a time. */
export function flush(): Promise<void> {
  if (running) return running;
  running = (async () => {
    try {
      const locks = (navigator as Navigator & { locks?: LockManager }).locks;
      if (locks) await locks.request("ediary.outbox", drain);
      else await drain();
    } finally {
      running = null;
    }
  })();
  return running;
}

addEventListener("online", () => void flush());
addEventListener("storage", (event) => {
  if (event.key === KEY || event.key === null) outbox.set(read());
});
setInterval(() => {
  if (session.get() && read().some((entry) => entry.state === "waiting")) void flush();
}, RETRY_MS);
session.subscribe((tokens) => {
  outbox.set(read()); // signing out dropped it with the rest of what the app kept
  if (tokens) void flush();
  else void dropAllFiles().catch(() => undefined); // and the files it kept
});
if (session.get()) void flush();
