// The hand-in of one homework: where it stands for the child (status, due time, owed work, the
// work handed in with its files, the teacher's return comment and grade), and for the student
// themself the form that hands work in: text and files, each file uploaded first through the
// upload API (fileUploadStart, then a PUT of its bytes), then `homeworkSubmit` with the ids of
// the files kept and uploaded. Nothing is queued offline: without a network the form says the
// work was not sent and keeps what was typed.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { client, trusted } from "../client";
import HandInUploadDocument from "../documents/HandInUpload.graphql";
import HomeworkSubmitDocument from "../documents/HomeworkSubmit.graphql";
import type { HandInUploadMutation, HomeworkSubmitMutation } from "../generated";
import { handInLabel, t } from "../i18n";
import { Files } from "./files";
import type { Homework } from "./lesson";
import { formatMoment, w } from "./words_schoolwork";

const HAND_IN_UPLOAD = trusted(HandInUploadDocument);
const HOMEWORK_SUBMIT = trusted(HomeworkSubmitDocument);

class Refused extends Error {}
class Offline extends Error {}

export function HandIn(props: { homework: Homework; zone: string; own: boolean; onChange: () => void }): JSX.Element | null {
  const { homework, zone } = props;
  const handIn = homework.handIn; // null: the homework is not for this child
  const work = handIn?.submission ?? null;
  const status = work?.status ?? handIn?.status;
  const [sent, setSent] = useState(false);
  if (!handIn || !status) return null;
  return (
    <section class="hand-in" aria-label={w("handIn")}>
      <h4>{w("handIn")}</h4>
      <p>
        <span class={`status status-${status.toLowerCase()}`}>{handInLabel(status)}</span>
        {handIn.owed ? <span class="owed"> · {t("owed")}</span> : null}
        {" · "}
        {w("due")} {formatMoment(handIn.dueAt, zone)}
      </p>
      {work ? (
        <div class="submission">
          <p class="muted">
            {w("handedInAt")} {formatMoment(work.submittedAt, zone)} · {w("attempt")} {work.attempt}
          </p>
          {work.text ? <p class="work-text">{work.text}</p> : null}
          {work.attachments.length ? <Files files={work.attachments} /> : null}
          {work.returnComment && work.status === "RETURNED" ? (
            <p class="notice">
              {w("returnComment")}: {work.returnComment}
            </p>
          ) : null}
          {work.grade ? (
            <p>
              {w("workGrade")}: <strong>{work.grade.value}</strong>
            </p>
          ) : null}
        </div>
      ) : null}
      {sent ? (
        <p role="status" class="done">
          {w("sent")}
        </p>
      ) : null}
      {props.own && status !== "GRADED" ? (
        // A new form (its kept files, its text) for each hand-in the screen reads back.
        <HandInForm
          key={`${work?.id}-${work?.attempt}`}
          homework={homework}
          onSending={() => setSent(false)}
          onDone={() => (setSent(true), props.onChange())}
        />
      ) : null}
    </section>
  );
}

async function upload(file: File): Promise<string> {
  const started = await client.mutation<HandInUploadMutation>(HAND_IN_UPLOAD, { input: { name: file.name, size: file.size } }).toPromise();
  if (started.error?.networkError) throw new Offline();
  const answer = started.data?.fileUploadStart;
  if (!answer) throw new Refused(started.error?.message ?? t("error"));
  if (answer.__typename !== "FileUploadStartSuccess") throw new Refused(`${w("uploadRefused", { name: file.name })}: ${"message" in answer ? answer.message : ""}`);
  let response: Response;
  try {
    response = await fetch(answer.uploadUrl, { method: "PUT", body: file });
  } catch {
    throw new Offline();
  }
  if (response.status !== 204) {
    const body = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
    throw new Refused(`${w("uploadRefused", { name: file.name })}: ${body?.errors?.[0]?.message ?? response.statusText}`);
  }
  return answer.uploadId;
}

function HandInForm(props: { homework: Homework; onSending: () => void; onDone: () => void }): JSX.Element {
  const work = props.homework.handIn?.submission ?? null;
  const [text, setText] = useState(work?.text ?? "");
  const [keep, setKeep] = useState<Set<string>>(() => new Set(work?.attachments.map((f) => f.id) ?? []));
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [picker, setPicker] = useState(0); // a new file input once the chosen files were sent
  const id = `hand-in-${props.homework.id}`;

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblems([]);
    props.onSending();
    try {
      const uploaded = await Promise.all(files.map(upload));
      const result = await client
        .mutation<HomeworkSubmitMutation>(HOMEWORK_SUBMIT, { input: { homeworkId: props.homework.id, text, fileIds: [...keep, ...uploaded] } })
        .toPromise();
      if (result.error?.networkError) throw new Offline();
      const answer = result.data?.homeworkSubmit;
      if (!answer) throw new Refused(result.error?.message ?? t("error"));
      if (answer.__typename === "HomeworkSubmitSuccess") {
        setFiles([]);
        setPicker(picker + 1);
        props.onDone();
      } else {
        const fields = "fields" in answer ? answer.fields.map((f) => f.message) : [];
        setProblems(fields.length ? fields : ["message" in answer ? answer.message : t("error")]);
      }
    } catch (error) {
      setProblems([error instanceof Offline ? w("offlineWrite") : error instanceof Refused ? error.message : t("error")]);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="hand-in-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h5 id={`${id}-title`} class="visually-hidden">
        {w("handIn")}
      </h5>
      <label>
        {w("workText")}
        <textarea name="work" rows={4} maxLength={10000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      {work?.attachments.length ? (
        <fieldset>
          <legend>{w("files")}</legend>
          {work.attachments.map((f) => (
            <label key={f.id} class="inline">
              <input
                type="checkbox"
                checked={keep.has(f.id)}
                onChange={(e) => {
                  const next = new Set(keep);
                  if (e.currentTarget.checked) next.add(f.id);
                  else next.delete(f.id);
                  setKeep(next);
                }}
              />
              {w("keep")}: {f.name}
            </label>
          ))}
        </fieldset>
      ) : null}
      <label>
        {w("attach")}
        <input key={picker} name="files" type="file" multiple onChange={(e) => setFiles(Array.from(e.currentTarget.files ?? []))} />
      </label>
      {problems.length ? (
        <div class="problem" role="alert">
          <p>{w("notSent")}:</p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? w("sending") : work ? w("handInAgain") : w("handInNow")}
      </button>
    </form>
  );
}
