// Progress over a term: per subject the grades, the plain and weighted averages, the class's
// weighted average, absences and the grade the average suggests, the child's place in the class,
// and the chart of one subject week by week (or month by month) against the class.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { trusted } from "../client";
import ProgressDocument from "../documents/Progress.graphql";
import ProgressChartDocument from "../documents/ProgressChart.graphql";
import type { ChartBucket, ProgressChartQuery, ProgressChartQueryVariables, ProgressQuery, ProgressQueryVariables } from "../generated";
import { kindLabel, t } from "../i18n";
import { followDiary, reconnections } from "../live";
import { Link, lessonRoute, type ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { today } from "../week";
import { ProgressChart } from "./chart";
import { type School, type Term, termOf, useSchoolTerms, yearOf } from "./terms";
import { formatAverage, formatDate, w } from "./words_schoolwork";

const PROGRESS = trusted(ProgressDocument);
const PROGRESS_CHART = trusted(ProgressChartDocument);

type Subject = NonNullable<ProgressQuery["student"]>["progress"][number];

function failure(error: { networkError?: Error; message: string } | undefined): string {
  return error ? (error.networkError ? w("offline") : `${t("error")}: ${error.message}`) : t("loading");
}

export default function ProgressScreen(props: ScreenProps): JSX.Element {
  const [terms] = useSchoolTerms(props.student.id);
  const school = terms.data?.student?.school;
  if (!school) return <p role="status">{failure(terms.error)}</p>;
  return <Progress {...props} school={school} />;
}

function TermPicker(props: { school: School; term: Term; onTerm: (term: Term) => void }): JSX.Element {
  const all = props.school.academicYears.flatMap((y) => y.terms);
  return (
    <label class="inline">
      {w("term")}
      <select
        name="term"
        value={props.term.id}
        onChange={(e) => {
          const next = all.find((x) => x.id === e.currentTarget.value);
          if (next) props.onTerm(next);
        }}
      >
        {props.school.academicYears.map((y) => (
          <optgroup key={y.id} label={y.name}>
            {y.terms.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name} ({formatDate(x.startDate)} – {formatDate(x.endDate)})
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}

function Progress(props: ScreenProps & { school: School }): JSX.Element {
  const { student, school, zone } = props;
  const day = today(zone);
  const [term, setTerm] = useState<Term | undefined>(() => termOf(yearOf(school.academicYears, day)?.terms ?? [], day));
  const [result, reexecute] = useQuery<ProgressQuery, ProgressQueryVariables>({
    query: PROGRESS,
    variables: { studentId: student.id, termId: term?.id ?? null },
    pause: !term,
  });
  // Live: a grade given, changed or removed, or a mark, is counted at once.
  const [changes, setChanges] = useState(0);
  const reconnected = useSignal(reconnections);
  useEffect(() => {
    if (reconnected) reexecute({ requestPolicy: "network-only" });
  }, [reconnected, reexecute]);
  useEffect(
    () =>
      followDiary(student.id, () => {
        reexecute({ requestPolicy: "network-only" });
        setChanges((n) => n + 1);
      }),
    [student.id, reexecute],
  );
  if (!term) return <p class="empty">{w("noTerms")}</p>;
  const progress = result.data?.student?.progress;
  const rank = result.data?.student?.rank;
  return (
    <section class="screen progress" aria-labelledby="progress-title">
      <div class="screen-head">
        <h2 id="progress-title">
          {t("progress")}: {student.fullName}
        </h2>
        <TermPicker school={school} term={term} onTerm={setTerm} />
      </div>
      {!progress ? (
        <p role="status">{failure(result.error)}</p>
      ) : progress.every((s) => s.grades.length === 0) ? (
        <p class="empty">{w("noProgress")}</p>
      ) : (
        <>
          {rank?.position ? <p class="rank">{w("rank", { position: rank.position, size: rank.classSize })}</p> : null}
          <div class="scroll">
            <table class="progress-table">
              <caption class="visually-hidden">
                {t("progress")}: {term.name}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{w("subject")}</th>
                  <th scope="col">{w("grades")}</th>
                  <th scope="col">{w("average")}</th>
                  <th scope="col">{w("weightedAverage")}</th>
                  <th scope="col">{w("classAverage")}</th>
                  <th scope="col">{w("suggested")}</th>
                  <th scope="col">{w("absences")}</th>
                  <th scope="col">{w("late")}</th>
                </tr>
              </thead>
              <tbody>
                {progress.map((s) => (
                  <SubjectRow key={s.subject.id} subject={s} />
                ))}
              </tbody>
            </table>
          </div>
          <Chart {...props} term={term} subjects={progress.filter((s) => s.grades.length > 0)} day={day} changes={changes} />
        </>
      )}
    </section>
  );
}

function SubjectRow(props: { subject: Subject }): JSX.Element {
  const s = props.subject;
  return (
    <tr data-subject={s.subject.id}>
      <th scope="row">{s.subject.name}</th>
      <td class="grade-list">
        {s.grades.length === 0
          ? "—"
          : s.grades.map((g) => {
              const label = `${g.value}, ${kindLabel(g.kind)}, ${w("weight")} ${g.weight}${g.comment ? `, ${g.comment}` : ""}`;
              const mark = (
                <>
                  <span aria-hidden="true">
                    {g.value}
                    {g.weight !== 1 ? <sub>×{g.weight}</sub> : null}
                  </span>
                  <span class="visually-hidden">{label}</span>
                </>
              );
              return (
                <span class="mark" key={g.id} title={label}>
                  {g.lesson ? <Link to={lessonRoute(g.lesson.id, g.lesson.date)}>{mark}</Link> : mark}
                </span>
              );
            })}
      </td>
      <td class="number">{formatAverage(s.average)}</td>
      <td class="number weighted">{formatAverage(s.weightedAverage)}</td>
      <td class="number class-average">{formatAverage(s.classWeightedAverage)}</td>
      <td class="number">{s.suggestedGrade?.value ?? "—"}</td>
      <td class="number">
        {s.absences} ({s.unexcusedAbsences})
      </td>
      <td class="number">{s.late}</td>
    </tr>
  );
}

function Chart(props: ScreenProps & { school: School; term: Term; subjects: Subject[]; day: string; changes: number }): JSX.Element {
  const { student, term, subjects, school } = props;
  const [subjectId, setSubjectId] = useState(subjects[0]?.subject.id);
  const [bucket, setBucket] = useState<ChartBucket>("WEEK");
  const subject = subjects.find((s) => s.subject.id === subjectId) ?? subjects[0];
  const to = term.startDate <= props.day && props.day < term.endDate ? props.day : term.endDate;
  const [result, reexecute] = useQuery<ProgressChartQuery, ProgressChartQueryVariables>({
    query: PROGRESS_CHART,
    variables: { studentId: student.id, subjectId: subject?.subject.id ?? "", from: term.startDate, to, bucket },
    pause: !subject,
  });
  useEffect(() => {
    if (props.changes) reexecute({ requestPolicy: "network-only" });
  }, [props.changes, reexecute]);
  const points = result.data?.student?.progressChart;
  return (
    <section class="chart-section" aria-labelledby="chart-title">
      <div class="screen-head">
        <h3 id="chart-title">{w("chart")}</h3>
        <label class="inline">
          {w("subject")}
          <select name="subject" value={subject?.subject.id} onChange={(e) => setSubjectId(e.currentTarget.value)}>
            {subjects.map((s) => (
              <option key={s.subject.id} value={s.subject.id}>
                {s.subject.name}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          {w("bucket")}
          <select name="bucket" value={bucket} onChange={(e) => setBucket(e.currentTarget.value as ChartBucket)}>
            <option value="WEEK">{w("byWeek")}</option>
            <option value="MONTH">{w("byMonth")}</option>
          </select>
        </label>
      </div>
      {!subject ? null : !points ? (
        <p role="status">{failure(result.error)}</p>
      ) : points.every((p) => p.gradeCount === 0) ? (
        <p class="empty">{w("noChart")}</p>
      ) : (
        <ProgressChart
          id="progress-chart"
          points={points}
          bucket={bucket}
          min={school.gradeScale.min}
          max={school.gradeScale.max}
          title={w("chartTitle", { subject: subject.subject.name, name: student.fullName })}
        />
      )}
    </section>
  );
}
