// Chats: the viewer's chats with unread counts, one chat's history (older pages on request),
// messages live (chatEvents over the app's socket, resumed by cursor, none twice), read marks
// (chatMarkRead), and sending with attachments through the outbox: a message written offline
// waits, shown as such, and is sent once when the network is back.
import type { CombinedError } from "@urql/core";
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { client, trusted } from "../client";
import ChatEventsDocument from "../documents/ChatEvents.graphql";
import ChatMarkReadDocument from "../documents/ChatMarkRead.graphql";
import ChatMessagesDocument from "../documents/ChatMessages.graphql";
import ChatsDocument from "../documents/Chats.graphql";
import type { ChatEventsSubscription, ChatMarkReadMutation, ChatMessagesQuery, ChatsQuery } from "../generated";
import { locale } from "../i18n";
import { followEvents, reconnections } from "../live";
import { delivered, outbox, type Entry } from "../outbox";
import { chatsRead, type ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { Attachments, FilePicker, KeptNotice, LoadState, Pending, kept, send, useOnline } from "./common";
import { count, formatMoment, w } from "./words_messages";

const CHATS = trusted(ChatsDocument);
const CHAT_MESSAGES = trusted(ChatMessagesDocument);
const CHAT_MARK_READ = trusted(ChatMarkReadDocument);

type ChatEvent = ChatEventsSubscription["chatEvents"];
type Message = NonNullable<ChatMessagesQuery["chat"]>["messages"]["edges"][number]["node"];
type ChatSummary = ChatsQuery["viewer"]["chats"]["edges"][number]["node"];

const OPEN = "ediary.chat";

export default function Chats(props: ScreenProps): JSX.Element {
  useSignal(locale);
  const [result, reexecute] = useQuery<ChatsQuery>({ query: CHATS });
  const list = kept<ChatsQuery["viewer"]>("chats", result.data?.viewer);
  const refetch = () => reexecute({ requestPolicy: "network-only" });
  const [open, setOpen] = useState<string | null>(() => sessionStorage.getItem(OPEN));
  // The open chat's listener (every event reaches it, however many arrive before a render).
  const listeners = useRef(new Set<(event: ChatEvent) => void>());
  const [gaps, setGaps] = useState(0);
  const reconnected = useSignal(reconnections);

  useEffect(() => {
    if (reconnected) refetch();
  }, [reconnected]);
  useEffect(
    () =>
      followEvents<ChatEvent>(
        ChatEventsDocument,
        "chatEvents",
        (next) => {
          for (const listener of listeners.current) listener(next);
          refetch(); // unread counts, order, titles, chats added or gone
        },
        () => {
          refetch();
          setGaps((gaps) => gaps + 1); // the open chat reads its newest page again
        },
      ),
    [],
  );

  function choose(id: string | null) {
    if (id) sessionStorage.setItem(OPEN, id);
    else sessionStorage.removeItem(OPEN);
    setOpen(id);
  }

  const chats = list?.chats.edges.map((edge) => edge.node) ?? [];
  const current = chats.find((chat) => chat.id === open) ?? null;

  return (
    <section aria-labelledby="chats-title" class="talk chats">
      <h2 id="chats-title">
        {w("chatsTitle")}
        {list && list.unreadChatMessages ? <span class="count"> · {count("unread", list.unreadChatMessages)}</span> : null}
      </h2>
      <KeptNotice error={result.error} />
      {!list ? (
        <LoadState error={result.error} retry={refetch} />
      ) : chats.length === 0 ? (
        <p class="empty">{w("chatsEmpty")}</p>
      ) : (
        <div class="chat-layout">
          <ChatList chats={chats} open={current?.id ?? null} zone={props.zone} onOpen={choose} />
          {current ? (
            <Conversation
              key={current.id}
              chat={current}
              viewer={props.viewer.id}
              zone={props.zone}
              gaps={gaps}
              follow={(listener) => {
                listeners.current.add(listener);
                return () => void listeners.current.delete(listener);
              }}
              onRead={refetch}
            />
          ) : (
            <p class="empty">{w("chatChoose")}</p>
          )}
        </div>
      )}
    </section>
  );
}

function ChatList(props: { chats: ChatSummary[]; open: string | null; zone: string; onOpen: (id: string) => void }): JSX.Element {
  return (
    <ul class="chat-list" aria-label={w("chatsTitle")}>
      {props.chats.map((chat) => (
        <li key={chat.id}>
          <button
            type="button"
            class="secondary chat-item"
            aria-current={chat.id === props.open ? "true" : undefined}
            data-chat={chat.id}
            onClick={() => props.onOpen(chat.id)}
          >
            <span class="chat-title">{chat.title}</span>
            {chat.unreadCount ? <span class="unread">{count("unread", chat.unreadCount)}</span> : null}
            <span class="chat-last">
              {chat.lastMessage ? (chat.lastMessage.deleted ? w("chatDeleted") : `${chat.lastMessage.author.fullName}: ${chat.lastMessage.text ?? ""}`) : ""}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function merge(messages: Message[], more: Message[]): Message[] {
  const byId = new Map(messages.map((message) => [message.id, message]));
  for (const message of more) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

function Conversation(props: {
  chat: ChatSummary;
  viewer: string;
  zone: string;
  gaps: number;
  follow: (listener: (event: ChatEvent) => void) => () => void;
  onRead: () => void;
}): JSX.Element {
  const { chat } = props;
  const key = `chat.${chat.id}`;
  const [messages, setMessages] = useState<Message[] | undefined>(() => kept<Message[]>(key, undefined));
  // The cursor before the oldest page read (null: no older messages; undefined: none read yet).
  const [older, setOlder] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<CombinedError | undefined>(undefined);
  const drafts = useSignal(outbox).filter((entry) => entry.draft.kind === "message" && entry.draft.input.chatId === chat.id);
  const sent = useSignal(delivered);
  const reconnected = useSignal(reconnections);
  const [editing, setEditing] = useState<Entry | null>(null);
  const read = useRef<string | null>(null);
  const end = useRef<HTMLLIElement>(null);

  async function load(before: string | null) {
    const result = await client.query<ChatMessagesQuery>(CHAT_MESSAGES, { chatId: chat.id, before }).toPromise();
    setError(result.error);
    const page = result.data?.chat?.messages;
    if (!page) return;
    const nodes = page.edges.map((edge) => edge.node);
    setMessages((shown) => {
      const next = merge(shown ?? [], nodes);
      if (!before) kept(key, next.slice(-30));
      return next;
    });
    const earlier = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
    setOlder((current) => (before || current === undefined ? earlier : current)); // the newest page again: older ones stay
  }

  useEffect(() => void load(null), [chat.id, sent, reconnected, props.gaps]);

  useEffect(
    () =>
      props.follow((event) => {
        const message = event.chatMessage;
        if (event.chatId === chat.id && message) setMessages((shown) => merge(shown ?? [], [message]));
      }),
    [chat.id],
  );

  // What is on screen is read: move the read mark to the newest message (never back).
  const newest = messages?.[messages.length - 1];
  useEffect(() => {
    if (!newest || read.current === newest.id) return;
    read.current = newest.id;
    end.current?.scrollIntoView({ block: "nearest" });
    if (chat.unreadCount || newest.author.id !== props.viewer) {
      void client
        .mutation<ChatMarkReadMutation>(CHAT_MARK_READ, { input: { chatId: chat.id, messageId: newest.id } })
        .toPromise()
        .then(() => {
          props.onRead();
          chatsRead.set(chatsRead.get() + 1);
        });
    }
  }, [newest?.id]);

  return (
    <article class="conversation" aria-labelledby="chat-title">
      <h3 id="chat-title">{chat.title}</h3>
      <KeptNotice error={error} />
      {older ? (
        <button type="button" class="secondary" onClick={() => void load(older)}>
          {w("chatOlder")}
        </button>
      ) : null}
      {!messages ? (
        <LoadState error={error} retry={() => void load(null)} />
      ) : messages.length === 0 && drafts.length === 0 ? (
        <p class="empty">{w("chatNoMessages")}</p>
      ) : (
        <ol class="messages" aria-live="polite">
          {messages.map((message) => (
            <li key={message.id} class={`message${message.author.id === props.viewer ? " mine" : ""}`} data-message={message.id}>
              <p class="byline">
                <strong>{message.author.id === props.viewer ? w("you") : message.author.fullName}</strong>{" "}
                <time dateTime={message.createdAt}>{formatMoment(message.createdAt, props.zone)}</time>
                {message.editedAt ? <span class="hint"> · {w("chatEdited")}</span> : null}
              </p>
              {message.deleted ? <p class="hint">{w("chatDeleted")}</p> : <p class="text">{message.text}</p>}
              <Attachments files={message.attachments} />
            </li>
          ))}
          {drafts.map((entry) => (
            <li key={entry.id} class="message mine">
              <Pending entry={entry} onEdit={setEditing}>
                {entry.draft.kind === "message" ? entry.draft.input.text : ""}
              </Pending>
            </li>
          ))}
          <li ref={end} class="end" aria-hidden="true" />
        </ol>
      )}
      <Composer key={editing?.id ?? "new"} chat={chat.id} viewer={props.viewer} draft={editing} />
    </article>
  );
}

function Composer(props: { chat: string; viewer: string; draft: Entry | null }): JSX.Element {
  const [text, setText] = useState(props.draft?.draft.kind === "message" ? props.draft.draft.input.text : "");
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const online = useOnline();

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (!text.trim()) return;
    setProblem(null);
    setBusy(true);
    const refused = await send(props.viewer, { kind: "message", input: { chatId: props.chat, text, fileIds: [] }, files: [] }, files);
    setBusy(false);
    if (refused) {
      setProblem(refused);
      return;
    }
    setText("");
    setFiles([]);
    form.reset();
  }

  return (
    <form class="compose" onSubmit={(event) => void submit(event)}>
      <label>
        {w("chatMessage")}
        <textarea name="message" required maxLength={4000} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <FilePicker label={w("attach")} name="files" online={online} files={files} onChange={setFiles} />
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? w("uploading") : w("send")}
      </button>
    </form>
  );
}
