// The notification inbox: newest first, unread ones marked, read one by one or all at once
// (`notificationsMarkRead`); a new notification appears as it arrives (`notificationEvents`,
// through the app's one socket).
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { client, trusted } from "../client";
import InboxDocument from "../documents/Inbox.graphql";
import NotificationsMarkReadDocument from "../documents/NotificationsMarkRead.graphql";
import type { InboxQuery, InboxQueryVariables, NotificationsMarkReadMutation } from "../generated";
import { t } from "../i18n";
import { notificationArrivals } from "../nav";
import { useSignal } from "../signal";
import { formatMoment, kindName, w } from "./words_account";

const INBOX = trusted(InboxDocument);
const MARK = trusted(NotificationsMarkReadDocument);

type Item = InboxQuery["viewer"]["notifications"]["edges"][number]["node"];

export default function Inbox(): JSX.Element {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [after, setAfter] = useState<string | null>(null);
  const [earlier, setEarlier] = useState<Item[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [result, reexecute] = useQuery<InboxQuery, InboxQueryVariables>({ query: INBOX, variables: { unreadOnly, after } });
  const arrivals = useSignal(notificationArrivals);
  const opened = useRef(arrivals); // what arrived before the inbox opened is in its first answer

  useEffect(() => {
    // A new notification: the first page again (it is the newest).
    if (arrivals !== opened.current) {
      setEarlier([]);
      if (after === null) reexecute({ requestPolicy: "network-only" });
      else setAfter(null);
    }
  }, [arrivals]);

  const page = result.data?.viewer.notifications;
  const items = [...earlier, ...(page?.edges.map((e) => e.node) ?? [])];

  async function mark(input: { ids?: string[]; all?: boolean }) {
    setProblem(null);
    const answer = await client.mutation<NotificationsMarkReadMutation>(MARK, { input }).toPromise();
    const reply = answer.data?.notificationsMarkRead;
    if (reply?.__typename !== "NotificationsMarkReadSuccess") {
      setProblem(reply && "message" in reply ? reply.message : answer.error?.message ?? t("error"));
      return;
    }
    setEarlier([]);
    setAfter(null);
    reexecute({ requestPolicy: "network-only" });
    notificationArrivals.set(notificationArrivals.get() + 1); // the bar's count
  }

  return (
    <section class="inbox" aria-labelledby="inbox-title">
      <div class="screen-head">
        <h2 id="inbox-title">{w("inbox")}</h2>
        <label class="choice">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => (setEarlier([]), setAfter(null), setUnreadOnly(e.currentTarget.checked))} />
          {w("unreadOnly")}
        </label>
        <button type="button" class="secondary" disabled={!result.data?.viewer.unreadNotificationCount} onClick={() => void mark({ all: true })}>
          {w("markAllRead")}
        </button>
      </div>
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {!page && !earlier.length ? (
        <p role="status">{result.error ? `${t("error")}: ${result.error.message}` : t("loading")}</p>
      ) : items.length === 0 ? (
        <p class="empty">{w("nothingNew")}</p>
      ) : (
        <ul class="notifications">
          {items.map((item) => (
            <li key={item.id} class={item.readAt ? "read" : "unread"} data-notification={item.id}>
              <div>
                <strong>{kindName(item.kind)}</strong>
                {item.readAt ? null : <span class="unread-mark"> · {w("unread")}</span>}
                <p>
                  {[item.student?.fullName, item.grade ? `${item.grade.subject.name}: ${item.grade.value}` : null].filter(Boolean).join(" · ")}
                </p>
                <time dateTime={item.createdAt}>{formatMoment(item.createdAt)}</time>
              </div>
              {item.readAt ? null : (
                <button type="button" class="secondary" onClick={() => void mark({ ids: [item.id] })} aria-label={`${w("markRead")}: ${kindName(item.kind)}, ${formatMoment(item.createdAt)}`}>
                  {w("markRead")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {page?.pageInfo.hasNextPage ? (
        <button type="button" class="secondary" onClick={() => (setEarlier(items), setAfter(page.pageInfo.endCursor ?? null))}>
          {w("more")}
        </button>
      ) : null}
    </section>
  );
}
