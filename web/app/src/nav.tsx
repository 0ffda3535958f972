// The app's one navigation (issue 23): every section, in three groups - school work (the week's
// diary, progress, final grades), the school's messages (remarks, absence notices, chats,
// announcements, meetings) and the account (the notification inbox, notification settings,
// sessions) - and a lesson's details, opened from the week. The open section is kept in the
// address (#...&view=progress, #...&view=lesson&lesson=<id>&day=<date>, beside the child and the
// week), so Back and a reload return to it. Every screen but the week is its own script, loaded
// the first time it opens (src/screens/lazy.tsx), so the first page stays small. The navigation
// also carries what must be seen from every section: the unread counts of the chats and of the
// inbox, kept current live.
import { useQuery } from "@urql/preact";
import type { ComponentType, JSX } from "preact";
import { useEffect } from "preact/hooks";

import { trusted } from "./client";
import ChatEventsDocument from "./documents/ChatEvents.graphql";
import ChatUnreadDocument from "./documents/ChatUnread.graphql";
import UnreadNotificationsDocument from "./documents/UnreadNotifications.graphql";
import type { ChatUnreadQuery, UnreadNotificationsQuery } from "./generated";
import { locale, t } from "./i18n";
import { followEvents, followNotifications, reconnections } from "./live";
import { delivered, outbox } from "./outbox";
import { lazy } from "./screens/lazy";
import { session } from "./session";
import { signal, useSignal } from "./signal";
import type { Person } from "./types";
import "./screens/screens.css";

/** The sections about a child (each shown for the child chosen above it). */
export type ChildView = "diary" | "lesson" | "progress" | "finals" | "remarks" | "absences" | "chats" | "announcements" | "meetings";
/** The account's own sections (no child). */
export type AccountView = "inbox" | "preferences" | "sessions";
export type View = ChildView | AccountView;

export const ACCOUNT_VIEWS: readonly AccountView[] = ["inbox", "preferences", "sessions"];
const VIEWS: readonly View[] = ["diary", "lesson", "progress", "finals", "remarks", "absences", "chats", "announcements", "meetings", ...ACCOUNT_VIEWS];
/** Sections only a parent has (a student neither sends absence notices nor answers meetings). */
const PARENTS_ONLY: readonly View[] = ["absences", "meetings"];

export function isAccountView(view: View): view is AccountView {
  return (ACCOUNT_VIEWS as readonly View[]).includes(view);
}

export interface Route {
  view: View;
  lesson: string | null;
  day: string | null;
}

export const DIARY_ROUTE: Route = { view: "diary", lesson: null, day: null };

function read(): Route {
  const params = new URLSearchParams(location.hash.slice(1));
  const view = params.get("view") as View | null;
  const day = params.get("day");
  const lesson = params.get("lesson");
  if (view === "lesson" && !(lesson && day && /^\d{4}-\d{2}-\d{2}$/.test(day))) return DIARY_ROUTE;
  return { view: view && VIEWS.includes(view) ? view : "diary", lesson: view === "lesson" ? lesson : null, day: view === "lesson" ? day : null };
}

export const route = signal<Route>(read());
addEventListener("popstate", () => route.set(read()));

/** The address of ``next`` (the child and the week kept). */
export function href(next: Route): string {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const key of ["view", "lesson", "day"] as const) params.delete(key);
  if (next.view !== "diary") params.set("view", next.view);
  if (next.lesson) params.set("lesson", next.lesson);
  if (next.day) params.set("day", next.day);
  return `#${params.toString()}`;
}

/** Open ``next`` as a new entry of the history (Back returns). */
export function go(next: Route): void {
  history.pushState(null, "", href(next));
  route.set(next);
  scrollTo(0, 0);
}

/** Show ``next`` in place of the open section (no new entry in the history). */
export function replace(next: Route): void {
  history.replaceState(null, "", href(next));
  route.set(next);
}

export function lessonRoute(lesson: string, day: string): Route {
  return { view: "lesson", lesson, day };
}

session.subscribe((tokens) => {
  // Signed out: the next person starts on the diary, not on the last person's section.
  if (tokens === null && route.get().view !== "diary") replace(DIARY_ROUTE);
});

/** A link to ``next`` that opens it without reloading the page. */
export function Link(props: {
  to: Route;
  class?: string;
  current?: boolean;
  section?: View;
  children: JSX.Element | string | null | (JSX.Element | string | null)[];
}): JSX.Element {
  return (
    <a
      href={href(props.to)}
      class={props.class}
      data-section={props.section}
      aria-current={props.current ? "page" : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        go(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

const CHAT_UNREAD = trusted(ChatUnreadDocument);
const UNREAD_NOTIFICATIONS = trusted(UnreadNotificationsDocument);

/** Bumped by the chats screen when it moved a read mark: the count in the navigation follows. */
export const chatsRead = signal(0);
/** Bumped on every new notification and by the inbox's read marks: the inbox and the count read again. */
export const notificationArrivals = signal(0);

/** Unread messages over all chats, kept current by chatEvents (null until known). */
function useUnreadChats(): number | null {
  const [result, reexecute] = useQuery<ChatUnreadQuery>({ query: CHAT_UNREAD });
  const again = () => reexecute({ requestPolicy: "network-only" });
  const changes = [useSignal(reconnections), useSignal(chatsRead), useSignal(delivered)];
  useEffect(() => {
    if (changes.some(Boolean)) again();
  }, changes);
  useEffect(() => followEvents(ChatEventsDocument, "chatEvents", again, again), []);
  return result.data?.viewer.unreadChatMessages ?? null;
}

/** Unread notifications, kept current by notificationEvents (null until known). */
function useUnreadNotifications(): number | null {
  const [result, reexecute] = useQuery<UnreadNotificationsQuery>({ query: UNREAD_NOTIFICATIONS });
  const arrivals = useSignal(notificationArrivals);
  const reconnected = useSignal(reconnections);
  useEffect(() => {
    const arrived = () => notificationArrivals.set(notificationArrivals.get() + 1);
    return followNotifications(arrived, arrived); // after a gap the inbox and the count read again
  }, []);
  useEffect(() => {
    if (arrivals || reconnected) reexecute({ requestPolicy: "network-only" });
  }, [arrivals, reconnected, reexecute]);
  return result.data?.viewer.unreadNotificationCount ?? null;
}

/** A count beside a section's name: seen as a number, heard as "Сообщения, непрочитанные: 2". */
function Unread(props: { count: number | null }): JSX.Element | null {
  if (!props.count) return null;
  return (
    <span class="unread-count" data-unread={props.count}>
      <span class="visually-hidden">, {t("unread")}</span> {new Intl.NumberFormat(locale.get()).format(props.count)}
    </span>
  );
}

const GROUPS: readonly { name: "groupSchool" | "groupMessages" | "groupAccount"; views: readonly View[] }[] = [
  { name: "groupSchool", views: ["diary", "progress", "finals"] },
  { name: "groupMessages", views: ["remarks", "absences", "chats", "announcements", "meetings"] },
  { name: "groupAccount", views: ACCOUNT_VIEWS },
];

/** The sections this viewer has: absence notices and meetings are a parent's. */
export function allowed(view: View, roles: readonly string[]): boolean {
  return !PARENTS_ONLY.includes(view) || roles.includes("PARENT");
}

/** The navigation: links (Tab and Enter), grouped under headings, the open one aria-current. */
export function Navigation(props: { roles: readonly string[] }): JSX.Element {
  useSignal(locale);
  const current = useSignal(route).view;
  const counts: Partial<Record<View, number | null>> = { chats: useUnreadChats(), inbox: useUnreadNotifications() };
  return (
    <nav class="sections" aria-label={t("sections")}>
      {GROUPS.map((group) => (
        <div class="section-group" key={group.name}>
          <h2 id={`nav-${group.name}`}>{t(group.name)}</h2>
          <ul aria-labelledby={`nav-${group.name}`}>
            {group.views
              .filter((view) => allowed(view, props.roles))
              .map((view) => (
                <li key={view}>
                  <Link to={{ view, lesson: null, day: null }} section={view} current={view === current || (view === "diary" && current === "lesson")}>
                    {t(view as SectionWord)}
                    <Unread count={counts[view] ?? null} />
                  </Link>
                </li>
              ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

type SectionWord = Exclude<View, "lesson">;

/** How many drafts wait for the network (shown in the bar on every screen). */
export function OutboxState(): JSX.Element | null {
  const entries = useSignal(outbox);
  useSignal(locale);
  const waiting = entries.filter((entry) => entry.state !== "refused").length;
  if (!waiting) return null;
  return (
    <span class="outbox-state" role="status">
      {t("waiting").replace("{n}", new Intl.NumberFormat(locale.get()).format(waiting))}
    </span>
  );
}

/** What every screen about a child is given. */
export interface ScreenProps {
  student: Person;
  zone: string;
  /** The signed-in user is this student (a student's own record), so they hand work in. */
  own: boolean;
  route: Route;
  /** Who is looking (the chats mark their own messages; the outbox keeps drafts per user). */
  viewer: { id: string; roles: readonly string[] };
}

/** Each screen but the week's, its own script loaded when first opened. */
export const SCREENS: Record<Exclude<ChildView, "diary"> | "upcoming", ComponentType<ScreenProps>> = {
  lesson: lazy(() => import("./screens/lesson")),
  progress: lazy(() => import("./screens/progress")),
  finals: lazy(() => import("./screens/finals")),
  upcoming: lazy(() => import("./screens/upcoming")),
  remarks: lazy(() => import("./screens/remarks")),
  absences: lazy(() => import("./screens/absences")),
  chats: lazy(() => import("./screens/chats")),
  announcements: lazy(() => import("./screens/announcements")),
  meetings: lazy(() => import("./screens/meetings")),
};

/** The account's screens (no child), loaded the same way. */
export const ACCOUNT_SCREENS: Record<AccountView, ComponentType<object>> = {
  inbox: lazy(() => import("./screens/inbox")),
  preferences: lazy(() => import("./screens/preferences")),
  sessions: lazy(() => import("./screens/sessions")),
};
