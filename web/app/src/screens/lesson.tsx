// A lesson in the child's diary, in full: when and where, its topic, group and announced
// assessment, the child's grades (weight, kind, comment and every change), attendance (and its
// changes), and the homework due for it with its files and the hand-in (a student hands work in
// here: src/screens/handin.tsx).
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";

import { trusted } from "../client";
import LessonDetailsDocument from "../documents/LessonDetails.graphql";
import type { LessonDetailsQuery, LessonDetailsQueryVariables } from "../generated";
import { attendanceLabel, formatDay, formatTime, kindLabel, plural, t } from "../i18n";
import { followDiary, reconnections } from "../live";
import { Link, type ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { Files } from "./files";
import { HandIn } from "./handin";
import { actionLabel, formatMoment, w } from "./words_schoolwork";

const LESSON_DETAILS = trusted(LessonDetailsDocument);

type Answer = LessonDetailsQuery;
type Lesson = Extract<NonNullable<Answer["lesson"]>, { __typename: "Lesson" }>;
type Entry = NonNullable<Answer["student"]>["diary"][number]["entries"][number];
export type Homework = Lesson["homework"][number];
type Grade = Entry["grades"][number];

export default function LessonScreen(props: ScreenProps): JSX.Element {
  const { student, zone, route } = props;
  const day = route.day ?? "";
  const [result, reexecute] = useQuery<LessonDetailsQuery, LessonDetailsQueryVariables>({
    query: LESSON_DETAILS,
    variables: { studentId: student.id, lessonId: route.lesson ?? "", day },
  });
  // Live: whatever happens in the child's diary (a grade, a mark, a returned hand-in) is read again.
  const reconnected = useSignal(reconnections);
  useEffect(() => {
    if (reconnected) reexecute({ requestPolicy: "network-only" });
  }, [reconnected, reexecute]);
  useEffect(() => followDiary(student.id, () => reexecute({ requestPolicy: "network-only" })), [student.id, reexecute]);
  // Download links work for 5 minutes: read fresh ones before they stop.
  useEffect(() => {
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), 4 * 60_000);
    return () => clearInterval(timer);
  }, [reexecute]);
  // The lesson as the viewer sees it, and the child's entry for it: both, or it is not there.
  const found = result.data?.lesson;
  const lesson = found?.__typename === "Lesson" ? found : null;
  const entry = result.data?.student?.diary.flatMap((d) => d.entries).find((e) => e.lesson.id === route.lesson);
  const back = (
    <Link to={{ view: "diary", lesson: null, day: null }} class="back">
      {w("backToWeek")}
    </Link>
  );
  if (!result.data) {
    return (
      <section class="screen">
        {back}
        <p role="status">{result.error ? (result.error.networkError ? w("offline") : `${t("error")}: ${result.error.message}`) : t("loading")}</p>
      </section>
    );
  }
  if (!entry || !lesson) {
    return (
      <section class="screen">
        {back}
        <p class="empty">{w("lessonMissing")}</p>
      </section>
    );
  }
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <article class="screen lesson-details" aria-labelledby="lesson-title" data-lesson={lesson.id}>
      {back}
      <h2 id="lesson-title">
        {lesson.subject.name} · {formatDay(lesson.date)}
      </h2>
      <dl class="facts">
        <dt>{w("period", { n: lesson.period })}</dt>
        <dd>
          {formatTime(lesson.startsAt, zone)}–{formatTime(lesson.endsAt, zone)}
          {lesson.room ? ` · ${t("room")} ${lesson.room}` : ""}
        </dd>
        <dt>{w("teacher")}</dt>
        <dd>
          {lesson.teacher.fullName}
          {lesson.substitutedTeacher ? ` (${w("substitute")}: ${lesson.substitutedTeacher.fullName}${lesson.substitutionReason ? `, ${lesson.substitutionReason}` : ""})` : ""}
        </dd>
        {lesson.group ? (
          <>
            <dt>{t("group")}</dt>
            <dd class="group">{lesson.group.name}</dd>
          </>
        ) : null}
        <dt>{t("topic")}</dt>
        <dd class="topic">{lesson.topic ?? "—"}</dd>
        {lesson.assessment ? (
          <>
            <dt>{w("assessment")}</dt>
            <dd class="assessment">
              {kindLabel(lesson.assessment.kind)}: {lesson.assessment.description}
            </dd>
          </>
        ) : null}
      </dl>
      {lesson.status === "CANCELLED" ? (
        <p class="problem">
          {t("cancelled")}
          {lesson.cancelReason ? `: ${lesson.cancelReason}` : ""}
        </p>
      ) : null}

      <section aria-labelledby="grades-title">
        <h3 id="grades-title">{w("grades")}</h3>
        {entry.grades.length === 0 ? <p class="empty">{w("noGrades")}</p> : entry.grades.map((g) => <GradeDetails key={g.id} grade={g} zone={zone} />)}
        {entry.removedGrades.length ? (
          <>
            <h4>{w("removedGrades")}</h4>
            <ul class="removed">
              {entry.removedGrades.map((g) => (
                <li key={g.id}>
                  <s>{g.value}</s> · {kindLabel(g.kind)} · {g.removedAt ? formatMoment(g.removedAt, zone) : ""}
                  {g.removedBy ? ` · ${g.removedBy.fullName}` : ""}
                  {g.removeReason ? ` · ${w("reason")}: ${g.removeReason}` : ""}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <section aria-labelledby="attendance-title">
        <h3 id="attendance-title">{w("attendance")}</h3>
        <p class="attendance-mark">
          {entry.attendance
            ? entry.attendance === "LATE" && entry.lateMinutes
              ? plural("minutesLate", entry.lateMinutes)
              : attendanceLabel(entry.attendance)
            : w("notMarked")}
        </p>
        {entry.attendanceHistory.length > 1 ? (
          <details>
            <summary>{w("marksHistory")}</summary>
            <ol class="history">
              {entry.attendanceHistory.map((r, i) => (
                <li key={i}>
                  {formatMoment(r.at, zone)} · {r.by.fullName}: {r.oldStatus ? attendanceLabel(r.oldStatus) : "—"} → {r.newStatus ? attendanceLabel(r.newStatus) : "—"}
                  {r.newReason ? ` (${r.newReason})` : ""}
                </li>
              ))}
            </ol>
          </details>
        ) : null}
      </section>

      <section aria-labelledby="homework-title">
        <h3 id="homework-title">{w("homework")}</h3>
        {lesson.homework.length === 0 ? (
          <p class="empty">{w("noHomework")}</p>
        ) : (
          lesson.homework.map((h) => <HomeworkDetails key={h.id} homework={h} zone={zone} own={props.own} onChange={refresh} />)
        )}
      </section>
    </article>
  );
}

function GradeDetails(props: { grade: Grade; zone: string }): JSX.Element {
  const { grade, zone } = props;
  return (
    <div class="grade-details" data-grade={grade.id}>
      <p class="grade-line">
        <span class="grade-value">{grade.value}</span>
        <span>
          {kindLabel(grade.kind)} · {w("weight")} {grade.weight}
        </span>
      </p>
      <dl class="facts">
        {grade.comment ? (
          <>
            <dt>{w("comment")}</dt>
            <dd class="comment">{grade.comment}</dd>
          </>
        ) : null}
        <dt>{w("given")}</dt>
        <dd>
          {formatMoment(grade.createdAt, zone)} · {grade.teacher.fullName}
        </dd>
      </dl>
      {grade.history.length > 1 ? (
        <details open>
          <summary>{w("history")}</summary>
          <ol class="history">
            {grade.history.map((r, i) => (
              <li key={i}>
                {formatMoment(r.at, zone)} · {actionLabel(r.action)}
                {r.by ? ` · ${r.by.fullName}` : ""}: {change(r.oldValue, r.newValue)}
                {r.oldWeight !== r.newWeight && r.oldWeight !== null && r.newWeight !== null ? `; ${w("weight")} ${r.oldWeight} → ${r.newWeight}` : ""}
                {r.oldKind !== r.newKind && r.oldKind && r.newKind ? `; ${kindLabel(r.oldKind)} → ${kindLabel(r.newKind)}` : ""}
                {r.oldComment !== r.newComment && r.action === "UPDATED" ? `; ${w("comment")}: ${r.oldComment ?? "—"} → ${r.newComment ?? "—"}` : ""}
                {r.reason ? ` (${w("reason")}: ${r.reason})` : ""}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </div>
  );
}

function change(before: string | null, after: string | null): string {
  if (before === null) return after ?? "—";
  return `${before} → ${after ?? "—"}`;
}

function HomeworkDetails(props: { homework: Homework; zone: string; own: boolean; onChange: () => void }): JSX.Element {
  const { homework, zone } = props;
  return (
    <div class="homework-details" data-homework={homework.id}>
      <p class="homework-text">{homework.text}</p>
      <p class="muted">
        {w("setBy")}: {homework.assignedBy.fullName}
      </p>
      {homework.links.length ? (
        <>
          <h4>{w("links")}</h4>
          <ul>
            {homework.links.map((link) => (
              <li key={link}>
                <a href={link} rel="noopener noreferrer" target="_blank">
                  {link}
                </a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {homework.attachments.length ? (
        <>
          <h4>{w("files")}</h4>
          <Files files={homework.attachments} />
        </>
      ) : null}
      <HandIn homework={homework} zone={zone} own={props.own} onChange={props.onChange} />
    </div>
  );
}
