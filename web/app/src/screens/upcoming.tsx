// The assessments (control works, tests, dictations...) announced for the child's lessons of the
// next 7 days, soonest first: shown under the week's diary.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";

import { trusted } from "../client";
import UpcomingAssessmentsDocument from "../documents/UpcomingAssessments.graphql";
import type { UpcomingAssessmentsQuery, UpcomingAssessmentsQueryVariables } from "../generated";
import { formatDay, formatTime, kindLabel, t } from "../i18n";
import { Link, lessonRoute, type ScreenProps } from "../nav";
import { w } from "./words_schoolwork";

const UPCOMING = trusted(UpcomingAssessmentsDocument);

export default function Upcoming(props: ScreenProps): JSX.Element {
  const [result] = useQuery<UpcomingAssessmentsQuery, UpcomingAssessmentsQueryVariables>({
    query: UPCOMING,
    variables: { studentId: props.student.id, days: 7 },
  });
  const planned = result.data?.student?.upcomingAssessments;
  return (
    <section class="upcoming" aria-labelledby="upcoming-title">
      <h2 id="upcoming-title">{w("upcoming")}</h2>
      {!planned ? (
        <p role="status">{result.error ? (result.error.networkError ? w("offline") : `${t("error")}: ${result.error.message}`) : t("loading")}</p>
      ) : planned.length === 0 ? (
        <p class="empty">{w("noUpcoming")}</p>
      ) : (
        <ul>
          {planned.map((a) => (
            <li key={a.id} data-assessment={a.id}>
              <Link to={lessonRoute(a.lesson.id, a.lesson.date)}>{`${formatDay(a.lesson.date)}, ${formatTime(a.lesson.startsAt, props.zone)} · ${a.lesson.subject.name}`}</Link>
              <span>
                {" "}
                — <strong>{kindLabel(a.kind)}</strong>: {a.description}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
