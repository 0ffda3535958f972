// The family's communication screens beside the diary (issue 23): remarks, absence notices,
// chats, announcements, meetings. Each is its own chunk, loaded when first opened (dynamic
// import), so the first load stays the diary's; the outbox (offline writes) is here because it
// sends what waits whichever screen is open.
import { useQuery } from "@urql/preact";
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { trusted } from "./client";
import ChatEventsDocument from "./documents/ChatEvents.graphql";
import ChatUnreadDocument from "./documents/ChatUnread.graphql";
import type { ChatUnreadQuery } from "./generated";
import { locale, t, type Locale } from "./i18n";
import { followEvents, reconnections } from "./live";
import { delivered, outbox } from "./outbox";
import { signal, useSignal } from "./signal";
import type { Person } from "./types";
import "./screens/screens.css";

/** What every screen gets: the child on screen, the school's time zone, who is looking. */
export interface ScreenProps {
  student: Person;
  zone: string;
  viewer: { id: string; roles: readonly string[] };
}

export type SectionName = "diary" | "remarks" | "absences" | "chats" | "announcements" | "meetings";

const SCREENS: Record<Exclude<SectionName, "diary">, () => Promise<{ default: ComponentType<ScreenProps> }>> = {
  remarks: () => import("./screens/remarks"),
  absences: () => import("./screens/absences"),
  chats: () => import("./screens/chats"),
  announcements: () => import("./screens/announcements"),
  meetings: () => import("./screens/meetings"),
};

const LABELS: Record<Locale, Record<SectionName | "sections" | "waiting" | "loadFailed" | "retry" | "offline" | "unread", string>> = {
  ru: {
    sections: "Разделы",
    diary: "Дневник",
    remarks: "Замечания",
    absences: "Пропуски",
    chats: "Сообщения",
    announcements: "Объявления",
    meetings: "Собрания",
    waiting: "Ждут отправки: {n}",
    loadFailed: "Раздел не загрузился. Проверьте сеть и попробуйте снова.",
    retry: "Повторить",
    offline: "Нет сети",
    unread: "непрочитанные:",
  },
  en: {
    sections: "Sections",
    diary: "Diary",
    remarks: "Remarks",
    absences: "Absences",
    chats: "Messages",
    announcements: "Announcements",
    meetings: "Meetings",
    waiting: "Waiting to send: {n}",
    loadFailed: "This section did not load. Check the network and try again.",
    retry: "Try again",
    offline: "Offline",
    unread: "unread:",
  },
};

const label = (key: keyof (typeof LABELS)["ru"]): string => LABELS[locale.get()][key];

/** The bar's word for no network on the screens beside the diary (the diary's says which week it shows). */
export const offlineLabel = (): string => label("offline");

/** The sections this viewer has: absence notices and meetings are a parent's. */
export function sectionsFor(roles: readonly string[]): SectionName[] {
  const parent = roles.includes("PARENT");
  return ["diary", "remarks", ...(parent ? (["absences"] as const) : []), "chats", "announcements", ...(parent ? (["meetings"] as const) : [])];
}

const KEY = "ediary.section";

/** The open section, kept for the tab (sessionStorage): a reload stays where the user was. */
export function useSection(): [SectionName, (name: SectionName) => void] {
  const [name, setName] = useState<SectionName>(() => {
    const saved = sessionStorage.getItem(KEY);
    return saved && (saved === "diary" || saved in SCREENS) ? (saved as SectionName) : "diary";
  });
  return [
    name,
    (next) => {
      sessionStorage.setItem(KEY, next);
      setName(next);
    },
  ];
}

const CHAT_UNREAD = trusted(ChatUnreadDocument);

/** Bumped by the chats screen when it moved a read mark: the count in the navigation follows. */
export const chatsRead = signal(0);

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

export function SectionNav(props: { current: SectionName; roles: readonly string[]; onChange: (name: SectionName) => void }): JSX.Element {
  useSignal(locale);
  const unread = useUnreadChats();
  return (
    <nav class="sections" aria-label={label("sections")}>
      {sectionsFor(props.roles).map((name) => (
        <button
          type="button"
          key={name}
          class="secondary"
          aria-current={props.current === name ? "page" : undefined}
          data-section={name}
          onClick={() => props.onChange(name)}
        >
          {label(name)}
          {name === "chats" && unread ? (
            <span class="unread-count">
              <span class="visually-hidden">, {label("unread")}</span> {new Intl.NumberFormat(locale.get()).format(unread)}
            </span>
          ) : null}
        </button>
      ))}
    </nav>
  );
}

/** How many drafts wait for the network (shown in the bar on every screen). */
export function OutboxState(): JSX.Element | null {
  const entries = useSignal(outbox);
  useSignal(locale);
  const waiting = entries.filter((entry) => entry.state !== "refused").length;
  if (!waiting) return null;
  return (
    <span class="outbox-state" role="status">
      {label("waiting").replace("{n}", new Intl.NumberFormat(locale.get()).format(waiting))}
    </span>
  );
}

const loaded = new Map<string, ComponentType<ScreenProps>>();

/** A section's screen, loaded on first use. */
export function Section(props: ScreenProps & { name: Exclude<SectionName, "diary"> }): JSX.Element {
  const { name, ...rest } = props;
  const [screen, setScreen] = useState<ComponentType<ScreenProps> | null>(() => loaded.get(name) ?? null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useSignal(locale);

  useEffect(() => {
    if (loaded.has(name)) {
      setScreen(() => loaded.get(name)!);
      return;
    }
    let current = true;
    setScreen(null);
    setFailed(false);
    SCREENS[name]().then(
      (module) => {
        loaded.set(name, module.default);
        if (current) setScreen(() => module.default);
      },
      () => current && setFailed(true),
    );
    return () => {
      current = false;
    };
  }, [name, attempt]);

  if (failed) {
    return (
      <p class="problem" role="alert">
        {label("loadFailed")}{" "}
        <button type="button" class="secondary" onClick={() => setAttempt(attempt + 1)}>
          {label("retry")}
        </button>
      </p>
    );
  }
  if (!screen) return <p role="status">{t("loading")}</p>;
  const Screen = screen;
  return <Screen {...rest} />;
}
