// The final grades of the school year: per subject, each term's final grade as the teacher set
// it (with the grade the weighted average suggests until then) and the year grade, and every
// change of them with who, when and why. One `progress(termId:)` request per term of the year
// (the averages and suggestions) and one `finalGrades(academicYearId:)` (the year grades), sent
// together.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import TermGradesDocument from "../documents/TermGrades.graphql";
import YearFinalGradesDocument from "../documents/YearFinalGrades.graphql";
import type { TermGradesQuery, TermGradesQueryVariables, YearFinalGradesQuery, YearFinalGradesQueryVariables } from "../generated";
import { followDiary, reconnections } from "../live";
import { t } from "../i18n";
import type { ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { today } from "../week";
import { type School, type Term, type Year, useSchoolTerms, yearOf } from "./terms";
import { actionLabel, formatAverage, formatDate, formatMoment, w } from "./words_schoolwork";

const TERM_GRADES = trusted(TermGradesDocument);
const YEAR_GRADES = trusted(YearFinalGradesDocument);

type Row = NonNullable<TermGradesQuery["student"]>["progress"][number];
type Final = NonNullable<YearFinalGradesQuery["student"]>["finalGrades"][number];
type Result = { rows: Row[][]; years: Final[] } | { error: string };

export default function FinalsScreen(props: ScreenProps): JSX.Element {
  const [terms] = useSchoolTerms(props.student.id);
  const school = terms.data?.student?.school;
  if (!school) {
    const error = terms.error;
    return <p role="status">{error ? (error.networkError ? w("offline") : `${t("error")}: ${error.message}`) : t("loading")}</p>;
  }
  return <Finals {...props} school={school} />;
}

function Finals(props: ScreenProps & { school: School }): JSX.Element {
  const { student, school, zone } = props;
  const [year, setYear] = useState<Year | undefined>(() => yearOf(school.academicYears, today(zone)));
  const [result, setResult] = useState<Result | null>(null);
  const reconnected = useSignal(reconnections);
  // Live: a final grade set (TERM_GRADE_SET) or a grade that moves the average is read again.
  const [changes, setChanges] = useState(0);
  useEffect(() => followDiary(student.id, () => setChanges((n) => n + 1)), [student.id]);

  useEffect(() => setResult(null), [student.id, year?.id]); // a live change replaces the table once read
  useEffect(() => {
    if (!year) return;
    let current = true;
    // After a live change or a reconnection the year is read again from the server, not the cache.
    const policy = { requestPolicy: changes || reconnected ? "network-only" : "cache-first" } as const;
    Promise.all([
      client.query<YearFinalGradesQuery, YearFinalGradesQueryVariables>(YEAR_GRADES, { studentId: student.id, academicYearId: year.id }, policy).toPromise(),
      ...year.terms.map((term) =>
        client.query<TermGradesQuery, TermGradesQueryVariables>(TERM_GRADES, { studentId: student.id, termId: term.id }, policy).toPromise(),
      ),
    ]).then(([finals, ...answers]) => {
      if (!current) return;
      const failed = [finals, ...answers].find((a) => a.error);
      if (failed?.error) setResult({ error: failed.error.networkError ? w("offline") : `${t("error")}: ${failed.error.message}` });
      else
        setResult({
          rows: answers.map((a) => (a.data as TermGradesQuery | undefined)?.student?.progress ?? []),
          years: ((finals.data as YearFinalGradesQuery | undefined)?.student?.finalGrades ?? []).filter((f) => f.term === null),
        });
    });
    return () => {
      current = false;
    };
  }, [student.id, year?.id, reconnected, changes]);

  if (!year) return <p class="empty">{w("noTerms")}</p>;
  return (
    <section class="screen finals" aria-labelledby="finals-title">
      <div class="screen-head">
        <h2 id="finals-title">
          {w("finalGrades")}: {student.fullName}
        </h2>
        {school.academicYears.length > 1 ? (
          <label class="inline">
            {w("year")}
            <select name="year" value={year.id} onChange={(e) => setYear(school.academicYears.find((y) => y.id === e.currentTarget.value))}>
              {school.academicYears.map((y) => (
                <option key={y.id} value={y.id}>
                  {y.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <p class="muted">{year.name}</p>
        )}
      </div>
      {!result ? (
        <p role="status">{t("loading")}</p>
      ) : "error" in result ? (
        <p role="status">{result.error}</p>
      ) : (
        <Table terms={year.terms} rows={result.rows} years={result.years} zone={zone} />
      )}
    </section>
  );
}

function Table(props: { terms: readonly Term[]; rows: Row[][]; years: Final[]; zone: string }): JSX.Element {
  const { terms, rows, years, zone } = props;
  // Every subject of any term, in the order the terms list them, then any with a year grade only.
  const subjects = new Map<string, string>();
  for (const term of rows) for (const row of term) subjects.set(row.subject.id, row.subject.name);
  for (const final of years) subjects.set(final.subject.id, final.subject.name);
  const cell = (termIndex: number, subjectId: string) => rows[termIndex]?.find((r) => r.subject.id === subjectId);
  const yearOf = (subjectId: string) => years.find((f) => f.subject.id === subjectId);
  // A subject with a final grade or a grade in some term, or a year grade (not one the school merely teaches).
  const counts = (row: Row | undefined) => !!row && (!!row.termGrade || row.weightedAverage !== null);
  const shown = [...subjects].filter(([id]) => !!yearOf(id) || rows.some((_, i) => counts(cell(i, id))));
  if (shown.length === 0) return <p class="empty">{w("noSubjects")}</p>;
  const changes = [
    ...rows.flatMap((term, i) =>
      term.flatMap((row) => (row.termGrade ? row.termGrade.history.map((h) => ({ ...h, term: terms[i]?.name, subject: row.subject.name })) : [])),
    ),
    ...years.flatMap((final) => final.history.map((h) => ({ ...h, term: w("yearGrade"), subject: final.subject.name }))),
  ];
  changes.sort((a, b) => a.at.localeCompare(b.at));
  return (
    <>
      <div class="scroll">
        <table class="finals-table">
          <caption class="visually-hidden">{w("finalGrades")}</caption>
          <thead>
            <tr>
              <th scope="col">{w("subject")}</th>
              {terms.map((term) => (
                <th scope="col" key={term.id}>
                  {term.name}
                  <span class="muted dates">
                    {formatDate(term.startDate)} – {formatDate(term.endDate)}
                  </span>
                </th>
              ))}
              <th scope="col">{w("yearGrade")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map(([id, name]) => (
              <tr key={id} data-subject={id}>
                <th scope="row">{name}</th>
                {terms.map((term, i) => {
                  const row = cell(i, id);
                  const final = row?.termGrade;
                  return (
                    <td key={term.id} class="final" data-term={term.id}>
                      {final ? (
                        <>
                          <strong class="final-value">{final.value}</strong>
                          {final.comment ? <span class="comment">{final.comment}</span> : null}
                        </>
                      ) : (
                        <span class="muted">{w("notSet")}</span>
                      )}
                      {!final && row?.suggestedGrade ? (
                        <span class="muted suggested">{w("suggestedBy", { value: row.suggestedGrade.value })}</span>
                      ) : null}
                      {row && row.weightedAverage !== null ? <span class="muted average">{`${w("weightedAverage")}: ${formatAverage(row.weightedAverage)}`}</span> : null}
                    </td>
                  );
                })}
                <YearCell final={yearOf(id)} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section aria-labelledby="changes-title">
        <h3 id="changes-title">{w("changes")}</h3>
        {changes.length === 0 ? (
          <p class="empty">{w("noChanges")}</p>
        ) : (
          <ol class="history">
            {changes.map((c, i) => (
              <li key={i}>
                {formatMoment(c.at, zone)} · {c.subject}, {c.term}: {actionLabel(c.action)} {c.oldValue ? `${c.oldValue} → ` : ""}
                {c.newValue ?? "—"}
                {c.by ? ` · ${c.by.fullName}` : ""}
                {c.reason ? ` (${c.reason})` : ""}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

/** A subject's year grade (with the teacher's comment), or "not set". */
function YearCell(props: { final: Final | undefined }): JSX.Element {
  const { final } = props;
  return (
    <td class="final year" data-year="">
      {final ? (
        <>
          <strong class="final-value">{final.value}</strong>
          {final.comment ? <span class="comment">{final.comment}</span> : null}
        </>
      ) : (
        <span class="muted">{w("notSet")}</span>
      )}
    </td>
  );
}
