// A parent's absence notices for the child: whole days with a reason and a doctor's note, sent
// through the outbox (kept and sent later when written offline, the server's refusal shown with
// the draft), listed for the month before and two after, and withdrawn from today on.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import AbsenceNoticeDeleteDocument from "../documents/AbsenceNoticeDelete.graphql";
import AbsenceNoticesDocument from "../documents/AbsenceNotices.graphql";
import type { AbsenceNoticeDeleteMutation, AbsenceNoticesQuery, AbsenceNoticesQueryVariables } from "../generated";
import { locale } from "../i18n";
import { reconnections } from "../live";
import { delivered, outbox, type Entry } from "../outbox";
import type { ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { addDays, today } from "../week";
import { Attachments, FilePicker, KeptNotice, LoadState, Pending, kept, send, useOnline } from "./common";
import { count, formatDate, formatMoment, w } from "./words_messages";

const ABSENCE_NOTICES = trusted(AbsenceNoticesDocument);
const ABSENCE_NOTICE_DELETE = trusted(AbsenceNoticeDeleteDocument);

type Notice = NonNullable<AbsenceNoticesQuery["student"]>["absenceNotices"][number];

export default function Absences(props: ScreenProps): JSX.Element {
  useSignal(locale);
  const { student, zone, viewer } = props;
  const now = today(zone);
  const variables = { studentId: student.id, from: addDays(now, -30), to: addDays(now, 60) };
  const [result, reexecute] = useQuery<AbsenceNoticesQuery, AbsenceNoticesQueryVariables>({ query: ABSENCE_NOTICES, variables });
  const notices = kept<Notice[]>(`absences.${student.id}`, result.data?.student?.absenceNotices);
  const refetch = () => reexecute({ requestPolicy: "network-only" });
  const drafts = useSignal(outbox).filter((entry) => entry.draft.kind === "notice" && entry.draft.input.studentId === student.id);
  const sent = useSignal(delivered);
  const reconnected = useSignal(reconnections);
  const [editing, setEditing] = useState<Entry | null>(null);
  const [withdrawn, setWithdrawn] = useState(false);
  useEffect(() => {
    if (sent || reconnected) refetch();
  }, [sent, reconnected]);

  return (
    <section aria-labelledby="absences-title" class="talk">
      <h2 id="absences-title">
        {w("absencesTitle")}: {student.fullName}
      </h2>
      <NoticeForm
        key={editing?.id ?? "new"}
        student={student.id}
        viewer={viewer.id}
        today={now}
        draft={editing}
        waiting={drafts.some((entry) => entry.state !== "refused")}
      />
      {drafts.length ? (
        <ul class="cards drafts">
          {drafts.map((entry) =>
            entry.draft.kind === "notice" ? (
              <li key={entry.id} class="card">
                <Pending entry={entry} onEdit={setEditing}>
                  {`${formatDate(entry.draft.input.from)} – ${formatDate(entry.draft.input.to)}: ${entry.draft.input.reason}`}
                </Pending>
              </li>
            ) : null,
          )}
        </ul>
      ) : null}
      <KeptNotice error={result.error} />
      {withdrawn ? (
        <p class="notice" role="status">
          {w("withdrawn")}
        </p>
      ) : null}
      {!notices ? (
        <LoadState error={result.error} retry={refetch} />
      ) : notices.length === 0 ? (
        <p class="empty">{w("absencesEmpty")}</p>
      ) : (
        <ol class="cards">
          {notices.map((notice) => (
            <NoticeCard key={notice.id} notice={notice} today={now} zone={zone} onChange={() => (setWithdrawn(true), refetch())} />
          ))}
        </ol>
      )}
    </section>
  );
}

function NoticeForm(props: { student: string; viewer: string; today: string; draft: Entry | null; waiting: boolean }): JSX.Element {
  const before = props.draft?.draft.kind === "notice" ? props.draft.draft.input : null;
  const [from, setFrom] = useState(before?.from ?? props.today);
  const [to, setTo] = useState(before?.to ?? props.today);
  const [reason, setReason] = useState(before?.reason ?? "");
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [queued, setQueued] = useState(false);
  const online = useOnline();

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setProblem(null);
    setQueued(false);
    setBusy(true);
    const refused = await send(props.viewer, { kind: "notice", input: { studentId: props.student, kind: "BY_DAY", from, to, reason, fileIds: [] }, files: [] }, files);
    setBusy(false);
    if (refused) {
      setProblem(refused);
      return;
    }
    setReason("");
    setFiles([]);
    form.reset();
    setQueued(!navigator.onLine);
  }

  return (
    <form class="compose" onSubmit={(event) => void submit(event)} aria-labelledby="absence-new">
      <h3 id="absence-new">{w("absenceNew")}</h3>
      <div class="row">
        <label>
          {w("from")}
          <input type="date" name="from" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          {w("to")}
          <input type="date" name="to" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        {w("reason")}
        <textarea name="reason" required maxLength={500} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <FilePicker label={w("note")} name="note" online={online} files={files} onChange={setFiles} />
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {queued && props.waiting ? (
        <p class="notice" role="status">
          {w("absenceQueued")}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? w("uploading") : w("send")}
      </button>
    </form>
  );
}

function NoticeCard(props: { notice: Notice; today: string; zone: string; onChange: () => void }): JSX.Element {
  const { notice } = props;
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const withdrawable = notice.to >= props.today;

  async function withdraw() {
    setBusy(true);
    setProblem(null);
    const from = notice.from > props.today ? notice.from : props.today;
    const result = await client.mutation<AbsenceNoticeDeleteMutation>(ABSENCE_NOTICE_DELETE, { input: { noticeId: notice.id, from, to: notice.to } }).toPromise();
    setBusy(false);
    const answer = result.data?.absenceNoticeDelete;
    if (answer?.__typename === "AbsenceNoticeDeleteSuccess") props.onChange();
    else if (answer) setProblem(answer.message);
    else setProblem(result.error?.networkError ? w("fileNetwork") : (result.error?.graphQLErrors[0]?.message ?? w("error")));
  }

  const heading = `notice-${notice.id}`;
  return (
    <li class="card notice-card" data-notice={notice.id} aria-labelledby={heading}>
      <h3 id={heading}>
        {notice.from === notice.to ? formatDate(notice.from) : `${formatDate(notice.from)} – ${formatDate(notice.to)}`}{" "}
        <span class="count">· {count("days", notice.days.length)}</span>
      </h3>
      <p class="text">{notice.reason}</p>
      <p class="byline">
        {w("sentBy", { who: notice.createdBy.fullName })}, {formatMoment(notice.createdAt, props.zone)}
      </p>
      <Attachments files={notice.attachments} />
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {withdrawable ? (
        <button type="button" class="secondary" disabled={busy} onClick={() => void withdraw()}>
          {w("withdraw")}
        </button>
      ) : null}
    </li>
  );
}
