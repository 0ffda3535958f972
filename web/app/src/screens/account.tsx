// The account's screens beside the diary: the notification inbox (its unread count in the bar,
// live), the notification settings and the sessions ("log out that phone"). Each screen is its
// own script file, loaded when first opened.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";

import { trusted } from "../client";
import UnreadNotificationsDocument from "../documents/UnreadNotifications.graphql";
import type { UnreadNotificationsQuery } from "../generated";
import { followNotifications, reconnections } from "../live";
import { session } from "../session";
import { signal, useSignal } from "../signal";
import { lazy } from "./lazy";
import { w } from "./words_account";

const UNREAD = trusted(UnreadNotificationsDocument);

export type AccountScreen = "inbox" | "preferences" | "sessions";
/** The account screen shown instead of the diary; null: the diary. */
export const accountScreen = signal<AccountScreen | null>(null);
/** Bumped on every new notification: the inbox and the count read again. */
export const notificationArrivals = signal(0);

const SCREENS = {
  inbox: lazy(() => import("./inbox")),
  preferences: lazy(() => import("./preferences")),
  sessions: lazy(() => import("./sessions")),
};

export function AccountMenu(): JSX.Element {
  const current = useSignal(accountScreen);
  const arrivals = useSignal(notificationArrivals);
  const reconnected = useSignal(reconnections);
  const [unread, reexecute] = useQuery<UnreadNotificationsQuery>({ query: UNREAD });
  useEffect(() => followNotifications(() => notificationArrivals.set(notificationArrivals.get() + 1)), []);
  useEffect(() => {
    if (arrivals || reconnected) reexecute({ requestPolicy: "network-only" });
  }, [arrivals, reconnected, reexecute]);
  const count = unread.data?.viewer.unreadNotificationCount ?? 0;
  const item = (screen: AccountScreen | null, label: string, extra?: JSX.Element | null) => (
    <button
      type="button"
      class="secondary"
      data-screen={screen ?? "diary"}
      aria-current={current === screen ? "page" : undefined}
      onClick={() => accountScreen.set(screen)}
    >
      {label}
      {extra}
    </button>
  );
  return (
    <nav class="account" aria-label={w("account")}>
      {item(null, w("diary"))}
      {item(
        "inbox",
        w("inbox"),
        count ? (
          <span class="badge" data-unread={count}>
            <span aria-hidden="true">{count}</span>
            <span class="visually-hidden">{w("inboxUnread", { n: count })}</span>
          </span>
        ) : null,
      )}
      {item("preferences", w("preferences"))}
      {item("sessions", w("sessions"))}
    </nav>
  );
}

export function AccountScreens(props: { which: AccountScreen }): JSX.Element {
  const Screen = SCREENS[props.which];
  return <Screen />;
}

session.subscribe((tokens) => {
  if (tokens === null) accountScreen.set(null); // the next person starts on the diary
});
