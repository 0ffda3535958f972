// The app's sections (the week's diary, progress, final grades) and a lesson's details, kept in
// the address (#...&view=progress, #...&view=lesson&lesson=<id>&day=<date>, beside the child and
// the week), so Back and a reload return to them. Every screen but the week is its own script,
// loaded the first time it opens (the first page stays small); offline it comes from the service
// worker's cache like the rest of the build.
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { t } from "./i18n";
import { signal, useSignal } from "./signal";
import type { Person } from "./types";

export type View = "diary" | "lesson" | "progress" | "finals";
const VIEWS: readonly View[] = ["diary", "lesson", "progress", "finals"];

export interface Route {
  view: View;
  lesson: string | null;
  day: string | null;
}

function read(): Route {
  const params = new URLSearchParams(location.hash.slice(1));
  const view = params.get("view") as View | null;
  const day = params.get("day");
  const lesson = params.get("lesson");
  if (view === "lesson" && !(lesson && day && /^\d{4}-\d{2}-\d{2}$/.test(day))) return { view: "diary", lesson: null, day: null };
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

export function lessonRoute(lesson: string, day: string): Route {
  return { view: "lesson", lesson, day };
}

/** A link to ``next`` that opens it without reloading the page. */
export function Link(props: { to: Route; class?: string; current?: boolean; children: JSX.Element | string | (JSX.Element | string)[] }): JSX.Element {
  return (
    <a
      href={href(props.to)}
      class={props.class}
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

const TABS: readonly { view: View; label: () => string }[] = [
  { view: "diary", label: () => t("diary") },
  { view: "progress", label: () => t("progress") },
  { view: "finals", label: () => t("finals") },
];

export function Tabs(): JSX.Element {
  const current = useSignal(route).view;
  return (
    <nav class="tabs" aria-label={t("sections")}>
      {TABS.map((tab) => {
        const here = tab.view === current || (current === "lesson" && tab.view === "diary");
        return (
          <Link key={tab.view} to={{ view: tab.view, lesson: null, day: null }} class={here ? "current" : undefined} current={here}>
            {tab.label()}
          </Link>
        );
      })}
    </nav>
  );
}

/** What every lazily loaded screen is given. */
export interface ScreenProps {
  student: Person;
  zone: string;
  /** The signed-in user is this student (a student's own record), so they hand work in. */
  own: boolean;
  route: Route;
}

type Loader = () => Promise<{ default: ComponentType<ScreenProps> }>;
const SCREENS: Record<"lesson" | "progress" | "finals" | "upcoming", Loader> = {
  lesson: () => import("./screens/lesson"),
  progress: () => import("./screens/progress"),
  finals: () => import("./screens/finals"),
  upcoming: () => import("./screens/upcoming"),
};
const loaded = new Map<string, ComponentType<ScreenProps>>();

/** The screen ``name`` once its script is loaded; loading and failure (offline, before it was
 * ever opened) are said, with a retry. */
export function Screen(props: ScreenProps & { name: keyof typeof SCREENS }): JSX.Element {
  const { name, ...rest } = props;
  const [component, setComponent] = useState<ComponentType<ScreenProps> | null>(() => loaded.get(name) ?? null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    const known = loaded.get(name);
    if (known) {
      setComponent(() => known);
      return;
    }
    setComponent(null);
    setFailed(false);
    SCREENS[name]().then(
      (module) => {
        loaded.set(name, module.default);
        if (current) setComponent(() => module.default);
      },
      () => current && setFailed(true),
    );
    return () => {
      current = false;
    };
  }, [name, attempt]);
  if (component) {
    const Component = component;
    return <Component {...rest} />;
  }
  if (failed) {
    return (
      <p role="alert" class="problem">
        {t("screenFailed")}{" "}
        <button type="button" class="secondary" onClick={() => setAttempt(attempt + 1)}>
          {t("retry")}
        </button>
      </p>
    );
  }
  return <p role="status">{t("loading")}</p>;
}
