// The family app's screens: sign in (password, then the second factor when the account has it;
// an identity provider; password recovery), the children, the week's diary, live; the other
// sections (src/nav.tsx: school work, messages, the account's) load when first opened. Screens
// for teachers and admins are added beside Home.
import { Provider, useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";

import { client, trusted } from "./client";
import DiaryDocument from "./documents/Diary.graphql";
import LoginDocument from "./documents/Login.graphql";
import LoginSecondFactorDocument from "./documents/LoginSecondFactor.graphql";
import MeDocument from "./documents/Me.graphql";
import { attendanceLabel, formatDay, formatTime, formatWeek, handInLabel, kindLabel, locale, LOCALES, plural, setLocale, t, type Locale } from "./i18n";
import { followDiary, liveState, reconnections } from "./live";
import { ACCOUNT_SCREENS, allowed, DIARY_ROUTE, go, isAccountView, Link, lessonRoute, Navigation, OutboxState, replace, route, SCREENS } from "./nav";
import { enablePush, pushState, resyncPush, type PushState } from "./push";
import { lazy } from "./screens/lazy";
import { providerAnswer, recoveryToken } from "./screens/links";
import { completeExternalLogin, Providers } from "./screens/providers";
import { w } from "./screens/words_account";
import { endedByServer, kept, session, signIn, signOut } from "./session";
import { useOnline, useSignal } from "./signal";
import type { DiaryDay, DiaryEntry, DiaryQuery, DiaryQueryVariables, Grade, LoginAnswer, MeQuery, Person } from "./types";
import { addDays, mondayOf, readPlace, today, writePlace } from "./week";

const ME = trusted(MeDocument);
const DIARY = trusted(DiaryDocument);
const LOGIN = trusted(LoginDocument);
const LOGIN_SECOND_FACTOR = trusted(LoginSecondFactorDocument);
const Recovery = lazy(() => import("./screens/recovery"));

export function App(): JSX.Element {
  const tokens = useSignal(session);
  useSignal(locale); // every word follows the language
  return (
    <Provider value={client}>
      <a class="skip" href="#main">
        {t("diary")}
      </a>
      {tokens ? <Home /> : <SignIn />}
    </Provider>
  );
}

function LanguageSwitch(): JSX.Element {
  const current = useSignal(locale);
  return (
    <label class="language">
      <span>{t("language")}</span>
      <select value={current} onChange={(e) => setLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
        {LOCALES.map((code) => (
          <option key={code} value={code} lang={code}>
            {code === "ru" ? "Русский" : "English"}
          </option>
        ))}
      </select>
    </label>
  );
}

function SignIn(): JSX.Element {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [recovering, setRecovering] = useState(recoveryToken !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const ended = useSignal(endedByServer);

  useEffect(() => {
    // Back from an identity provider: its answer completes the login (once).
    if (providerAnswer) void answer(completeExternalLogin(providerAnswer) as unknown as Parameters<typeof answer>[0], "externalLoginComplete");
  }, []);

  async function answer(promise: Promise<{ data?: Record<string, LoginAnswer>; error?: { message: string } }>, field: string) {
    setBusy(true);
    setProblem(null);
    const result = await promise;
    setBusy(false);
    const reply = result.data?.[field];
    if (!reply) {
      setProblem(result.error?.message ?? t("error"));
    } else if (reply.__typename === "LoginSuccess") {
      signIn(reply);
    } else if (reply.__typename === "SecondFactorRequired") {
      setChallenge(reply.challenge);
    } else {
      setProblem(reply.message);
    }
  }

  function submitPassword(event: Event) {
    event.preventDefault();
    void answer(client.mutation(LOGIN, { input: { login, password } }).toPromise(), "login");
  }

  function submitCode(event: Event) {
    event.preventDefault();
    void answer(client.mutation(LOGIN_SECOND_FACTOR, { input: { challenge, code } }).toPromise(), "loginSecondFactor");
  }

  if (recovering) {
    return <Recovery token={recoveryToken} onDone={(message: string | null) => (setRecovering(false), setNotice(message))} />;
  }

  return (
    <main id="main" class="sign-in">
      <header class="bar">
        <h1>{t("title")}</h1>
        <LanguageSwitch />
      </header>
      {ended && !problem && !notice ? (
        <p class="notice" role="status">
          {t("signedOut")}
        </p>
      ) : null}
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      {challenge === null ? (
        <form onSubmit={submitPassword} aria-labelledby="sign-in-title">
          <h2 id="sign-in-title">{t("signIn")}</h2>
          <label>
            {t("login")}
            <input name="login" autoComplete="username" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
          </label>
          <label>
            {t("password")}
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {problem ? (
            <p class="problem" role="alert">
              {problem}
            </p>
          ) : null}
          <button type="submit" disabled={busy}>
            {busy ? t("signingIn") : t("signIn")}
          </button>
          <button type="button" class="link" onClick={() => (setProblem(null), setRecovering(true))}>
            {w("forgot")}
          </button>
          <Providers onProblem={setProblem} />
        </form>
      ) : (
        <form onSubmit={submitCode} aria-labelledby="second-factor-title">
          <h2 id="second-factor-title">{t("secondFactor")}</h2>
          <p id="second-factor-hint">{t("secondFactorHint")}</p>
          <label>
            {t("secondFactor")}
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              aria-describedby="second-factor-hint"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          {problem ? (
            <p class="problem" role="alert">
              {problem}
            </p>
          ) : null}
          <div class="actions">
            <button type="button" class="secondary" onClick={() => (setChallenge(null), setCode(""), setProblem(null))}>
              {t("back")}
            </button>
            <button type="submit" disabled={busy}>
              {t("confirm")}
            </button>
          </div>
        </form>
      )}
    </main>
  );
}

function PushSwitch(): JSX.Element | null {
  const [state, setState] = useState<PushState | null>(null);
  useEffect(() => {
    pushState().then(setState, () => setState("unsupported"));
  }, []);
  if (state === "on") return <span class="push" role="status">{t("pushOn")}</span>;
  if (state === "denied") return <span class="push" role="status">{t("pushDenied")}</span>;
  if (state !== "off") return null;
  return (
    <button type="button" class="secondary" onClick={() => enablePush().then(setState, () => setState("off"))}>
      {t("pushEnable")}
    </button>
  );
}

function Home(): JSX.Element {
  const [me] = useQuery<MeQuery>({ query: ME });
  const data = kept<MeQuery>("me", me.data);
  const [place, setPlace] = useState(readPlace);
  const live = useSignal(liveState);
  const online = useOnline();
  const where = useSignal(route);
  useEffect(() => void resyncPush(), []);

  const students: Person[] = useMemo(() => {
    if (!data) return [];
    const own = data.viewer.student ? [data.viewer.student] : [];
    return [...own, ...data.viewer.children];
  }, [data]);
  const student = students.find((s) => s.id === place.student) ?? students[0];
  const zone = student?.school.timezone ?? "Europe/Moscow";
  const monday = place.week ?? mondayOf(today(zone));
  const roles = data?.viewer.roles ?? [];
  // A section this viewer does not have (an address from a parent's device) opens the diary.
  const view = data && !allowed(where.view, roles) ? "diary" : where.view;
  useEffect(() => {
    if (view !== where.view) replace(DIARY_ROUTE);
  }, [view, where.view]);

  useEffect(() => writePlace({ student: student?.id ?? null, week: place.week }), [student?.id, place.week]);
  useEffect(() => {
    const back = () => setPlace(readPlace()); // Back to a section opened for another child or week
    addEventListener("popstate", back);
    return () => removeEventListener("popstate", back);
  }, []);

  function screen(): JSX.Element {
    if (isAccountView(view)) {
      const Account = ACCOUNT_SCREENS[view];
      return <Account />;
    }
    if (!data) return <p role="status">{me.error ? `${t("error")}: ${me.error.message}` : t("loading")}</p>;
    if (students.length === 0) return <p>{t("nobody")}</p>;
    const props = { student, zone, own: student.id === data.viewer.student?.id, route: where, viewer: { id: data.viewer.user.id, roles } };
    const Screen = view === "diary" ? SCREENS.upcoming : SCREENS[view];
    return (
      <>
        {students.length > 1 ? (
          <nav class="children" aria-label={t("child")}>
            {students.map((s) => (
              <button
                type="button"
                class="secondary"
                key={s.id}
                aria-pressed={s.id === student.id}
                onClick={() => {
                  if (where.view === "lesson") go(DIARY_ROUTE); // the lesson was the other child's
                  setPlace({ ...place, student: s.id });
                }}
              >
                {s.fullName} <span class="class-name">{s.schoolClass.name}</span>
              </button>
            ))}
          </nav>
        ) : null}
        {view === "diary" ? <Diary student={student} monday={monday} onWeek={(week) => setPlace({ ...place, week })} zone={zone} /> : null}
        <Screen {...props} />
      </>
    );
  }

  return (
    <>
      <header class="bar">
        <h1>{t("title")}</h1>
        <span class="who">{data?.viewer.user.fullName}</span>
        <span class={`live state-${online ? live : "offline"}`} role="status">
          {online ? (live === "live" ? t("live") : live === "reconnecting" ? t("reconnecting") : "") : view === "diary" ? t("offline") : t("noNetwork")}
        </span>
        <OutboxState />
        <LanguageSwitch />
        <PushSwitch />
        <button type="button" class="secondary" onClick={() => void signOut()}>
          {t("signOut")}
        </button>
      </header>
      <Navigation roles={roles} />
      <main id="main">{screen()}</main>
    </>
  );
}

function Diary(props: { student: Person; monday: string; zone: string; onWeek: (monday: string) => void }): JSX.Element {
  const { student, monday, zone } = props;
  const sunday = addDays(monday, 6);
  const [result, reexecute] = useQuery<DiaryQuery, DiaryQueryVariables>({ query: DIARY, variables: { studentId: student.id, from: monday, to: sunday } });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const key = `diary.${student.id}.${monday}`;
  const days = kept<DiaryDay[]>(key, result.data?.student?.diary);

  const reconnected = useSignal(reconnections);
  useEffect(() => {
    if (reconnected) reexecute({ requestPolicy: "network-only" });
  }, [reconnected, reexecute]);

  useEffect(
    () =>
      followDiary(student.id, (event) => {
        if (event.grade) setFresh((seen) => new Set(seen).add(event.grade!.id));
        reexecute({ requestPolicy: "network-only" });
      }),
    [student.id, reexecute],
  );

  return (
    <section aria-labelledby="week-title">
      <div class="week-nav">
        <button type="button" class="secondary" onClick={() => props.onWeek(addDays(monday, -7))} aria-label={t("previousWeek")}>
          ←
        </button>
        <h2 id="week-title">
          {student.fullName}: {formatWeek(monday, sunday)}
        </h2>
        <button type="button" class="secondary" onClick={() => props.onWeek(mondayOf(today(zone)))}>
          {t("thisWeek")}
        </button>
        <button type="button" class="secondary" onClick={() => props.onWeek(addDays(monday, 7))} aria-label={t("nextWeek")}>
          →
        </button>
      </div>
      {!days ? (
        <p role="status">{result.error ? (result.error.networkError ? t("offlineNothing") : `${t("error")}: ${result.error.message}`) : t("loading")}</p>
      ) : (
        <>
          {result.error?.networkError ? (
            <p class="notice" role="status">
              {t("offline")}
            </p>
          ) : null}
          <ol class="days">
            {days.map((day) => (
              <Day key={day.date} day={day} zone={zone} fresh={fresh} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function Day(props: { day: DiaryDay; zone: string; fresh: Set<string> }): JSX.Element {
  const { day } = props;
  const off = day.kind === "HOLIDAY" ? t("holiday") : day.kind === "VACATION" ? t("vacation") : t("dayOff");
  return (
    <li class={`day ${day.kind.toLowerCase()}`}>
      <h3>
        {formatDay(day.date)}
        {day.entries.length ? <span class="count"> · {plural("lessons", day.entries.length)}</span> : null}
      </h3>
      {day.entries.length === 0 ? (
        <p class="empty">{day.kind === "SCHOOL_DAY" ? t("noLessons") : day.dayOffName ?? off}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{formatDay(day.date)}</caption>
          <thead class="visually-hidden">
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t("diary")}</th>
              <th scope="col">{t("grades")}</th>
            </tr>
          </thead>
          <tbody>
            {day.entries.map((entry) => (
              <Entry key={entry.lesson.id} entry={entry} zone={props.zone} fresh={props.fresh} />
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function Entry(props: { entry: DiaryEntry; zone: string; fresh: Set<string> }): JSX.Element {
  const { lesson, attendance, lateMinutes, grades, homework } = props.entry;
  const cancelled = lesson.status === "CANCELLED";
  return (
    <tr class={cancelled ? "cancelled" : undefined} data-lesson={lesson.id}>
      <td class="period">
        <span class="number">{lesson.period}</span>
        <span class="bell">
          {formatTime(lesson.startsAt, props.zone)}–{formatTime(lesson.endsAt, props.zone)}
        </span>
      </td>
      <td class="lesson">
        <strong>
          <Link to={lessonRoute(lesson.id, lesson.date)}>{lesson.subject.name}</Link>
        </strong>
        {lesson.room ? <span class="room"> · {t("room")} {lesson.room}</span> : null}
        {lesson.group ? <span class="room"> · {t("group")}: {lesson.group.name}</span> : null}
        {lesson.assessment ? (
          <p class="assessment">
            {kindLabel(lesson.assessment.kind)}: {lesson.assessment.description}
          </p>
        ) : null}
        {cancelled ? <p class="problem">{t("cancelled")}{lesson.cancelReason ? `: ${lesson.cancelReason}` : ""}</p> : null}
        {lesson.topic ? (
          <p class="topic">
            <span class="label">{t("topic")}:</span> {lesson.topic}
          </p>
        ) : null}
        {homework.map((h) => (
          <p class="homework" key={h.id}>
            <span class="label">{t("homework")}:</span> {h.text}
            {/* ?. : a week kept offline by an earlier build has no attachments */}
            {h.attachments?.length ? <span class="label"> · {plural("files", h.attachments.length)}</span> : null}
            {h.handIn ? (
              <span class={h.handIn.owed ? "owed" : "label"}> · {h.handIn.owed ? t("owed") : handInLabel(h.handIn.status)}</span>
            ) : null}
          </p>
        ))}
        {attendance && attendance !== "PRESENT" ? (
          <p class={`attendance ${attendance.toLowerCase()}`}>
            {attendance === "LATE" && lateMinutes ? plural("minutesLate", lateMinutes) : attendanceLabel(attendance)}
          </p>
        ) : null}
      </td>
      <td class="grades">
        {grades.map((grade) => (
          <GradeMark key={grade.id} grade={grade} fresh={props.fresh.has(grade.id)} />
        ))}
      </td>
    </tr>
  );
}

function GradeMark(props: { grade: Grade; fresh: boolean }): JSX.Element {
  const { grade } = props;
  const label = [grade.value, grade.weight !== 1 ? `${t("weight")} ${grade.weight}` : null, grade.comment].filter(Boolean).join(", ");
  return (
    <span class={`grade${props.fresh ? " fresh" : ""}`} data-grade={grade.id} title={label}>
      <span class="value" aria-hidden="true">
        {grade.value}
        {grade.weight !== 1 ? <sub>×{grade.weight}</sub> : null}
      </span>
      <span class="visually-hidden">{props.fresh ? `${t("newGrade")}: ${label}` : label}</span>
      {grade.comment ? (
        <span class="comment" aria-hidden="true">
          {grade.comment}
        </span>
      ) : null}
    </span>
  );
}
