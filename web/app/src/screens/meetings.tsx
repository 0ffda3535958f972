// Parent-teacher meetings the parent is invited to over the next three months, by start time,
// with their answer (meetingRespond: answering again replaces it) and a note for the organiser.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import MeetingRespondDocument from "../documents/MeetingRespond.graphql";
import MeetingsDocument from "../documents/Meetings.graphql";
import type { MeetingAnswer, MeetingRespondMutation, MeetingsQuery } from "../generated";
import { locale } from "../i18n";
import { reconnections } from "../live";
import type { ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { KeptNotice, LoadState, kept } from "./common";
import { formatMoment, w } from "./words_messages";

const MEETINGS = trusted(MeetingsDocument);
const MEETING_RESPOND = trusted(MeetingRespondDocument);

type Meeting = MeetingsQuery["viewer"]["meetings"][number];

export default function Meetings(props: ScreenProps): JSX.Element {
  useSignal(locale);
  const [result, reexecute] = useQuery<MeetingsQuery>({ query: MEETINGS });
  const meetings = kept<Meeting[]>("meetings", result.data?.viewer.meetings);
  const refetch = () => reexecute({ requestPolicy: "network-only" });
  const reconnected = useSignal(reconnections);
  useEffect(() => {
    if (reconnected) refetch();
  }, [reconnected]);

  return (
    <section aria-labelledby="meetings-title" class="talk">
      <h2 id="meetings-title">{w("meetingsTitle")}</h2>
      <KeptNotice error={result.error} />
      {!meetings ? (
        <LoadState error={result.error} retry={refetch} />
      ) : meetings.length === 0 ? (
        <p class="empty">{w("meetingsEmpty")}</p>
      ) : (
        <ol class="cards">
          {meetings.map((meeting) => (
            <MeetingCard key={meeting.id} meeting={meeting} zone={props.zone} />
          ))}
        </ol>
      )}
    </section>
  );
}

function MeetingCard(props: { meeting: Meeting; zone: string }): JSX.Element {
  const [meeting, setMeeting] = useState(props.meeting);
  const [comment, setComment] = useState(props.meeting.myResponse?.comment ?? "");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setMeeting(props.meeting), [props.meeting]);

  async function answer(choice: MeetingAnswer) {
    setBusy(true);
    setProblem(null);
    const input = { meetingId: meeting.id, answer: choice, comment: comment.trim() || null };
    const result = await client.mutation<MeetingRespondMutation>(MEETING_RESPOND, { input }).toPromise();
    setBusy(false);
    const reply = result.data?.meetingRespond;
    if (reply?.__typename === "MeetingSuccess") setMeeting({ ...meeting, myResponse: reply.meeting.myResponse });
    else if (reply) setProblem(reply.message);
    else setProblem(result.error?.networkError ? w("fileNetwork") : (result.error?.graphQLErrors[0]?.message ?? w("error")));
  }

  const heading = `meeting-${meeting.id}`;
  const mine = meeting.myResponse?.answer;
  const over = meeting.cancelledAt !== null;
  return (
    <li class={`card meeting${over ? " cancelled" : ""}`} data-meeting={meeting.id} aria-labelledby={heading}>
      <h3 id={heading}>{meeting.title}</h3>
      <p class="byline">
        <time dateTime={meeting.startsAt}>{formatMoment(meeting.startsAt, props.zone)}</time>–
        <time dateTime={meeting.endsAt}>{formatMoment(meeting.endsAt, props.zone)}</time>
      </p>
      {over ? <p class="problem">{w("cancelledMeeting")}</p> : null}
      <dl class="facts">
        {meeting.place ? (
          <>
            <dt>{w("place")}</dt>
            <dd>{meeting.place}</dd>
          </>
        ) : null}
        {meeting.link ? (
          <>
            <dt>{w("onlineLink")}</dt>
            <dd>
              <a href={meeting.link} rel="noopener noreferrer" target="_blank">
                {meeting.link}
              </a>
            </dd>
          </>
        ) : null}
        <dt>{w("organiser")}</dt>
        <dd>{meeting.organiser.fullName}</dd>
        <dt>{w("classes")}</dt>
        <dd>{meeting.classes.map((c) => c.name).join(", ")}</dd>
      </dl>
      {meeting.agenda ? <p class="text">{meeting.agenda}</p> : null}
      <p class="answer" role="status">
        {mine ? w("answered", { answer: mine === "ATTENDING" ? w("attending") : w("notAttending") }) : w("noAnswer")}
      </p>
      {over ? null : (
        <>
          <label>
            {w("answerComment")}
            <input name="comment" maxLength={1000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          <div class="actions rsvp" role="group" aria-label={meeting.title}>
            <button type="button" aria-pressed={mine === "ATTENDING"} class="secondary" disabled={busy} onClick={() => void answer("ATTENDING")}>
              {w("attending")}
            </button>
            <button type="button" aria-pressed={mine === "NOT_ATTENDING"} class="secondary" disabled={busy} onClick={() => void answer("NOT_ATTENDING")}>
              {w("notAttending")}
            </button>
          </div>
        </>
      )}
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
    </li>
  );
}
