// What the communication screens share: the state of a load (loading, offline, error), the last
// answer kept for reading offline, files (shown, and uploaded through fileUploadStart + PUT), and
// a draft of the outbox as it waits, sends or is refused.
import type { CombinedError } from "@urql/core";
import type { JSX } from "preact";

import { t } from "../i18n";
import { discard, enqueue, type Draft, type Entry } from "../outbox";
import { uploadFile } from "../uploads";
import { formatSize, w } from "./words_messages";

export { kept } from "../session";
export { useOnline } from "../signal";

/** Loading, or why nothing can be shown (no network and nothing kept, or the server's error). */
export function LoadState(props: { error: CombinedError | undefined; retry: () => void }): JSX.Element {
  if (!props.error) return <p role="status">{t("loading")}</p>;
  return (
    <p class="problem" role="alert">
      {props.error.networkError ? w("offlineNothing") : `${w("error")}: ${props.error.graphQLErrors[0]?.message ?? props.error.message}`}{" "}
      <button type="button" class="secondary" onClick={props.retry}>
        {w("retry")}
      </button>
    </p>
  );
}

/** Shown above what was kept when the network failed. */
export function KeptNotice(props: { error: CombinedError | undefined }): JSX.Element | null {
  return props.error?.networkError ? (
    <p class="notice" role="status">
      {w("offlineKept")}
    </p>
  ) : null;
}

export interface FileShown {
  id: string;
  name: string;
  size: number;
  url: string;
}

export function Attachments(props: { files: readonly FileShown[] }): JSX.Element | null {
  if (!props.files.length) return null;
  return (
    <ul class="attachments" aria-label={w("attachments")}>
      {props.files.map((file) => (
        <li key={file.id}>
          <a href={file.url} download={file.name}>
            {file.name}
          </a>{" "}
          <span class="size">({formatSize(file.size)})</span>
        </li>
      ))}
    </ul>
  );
}

/** Put a draft and its files in the outbox; where files cannot be kept on the device (no
 * IndexedDB), upload them first (online only). Why not, or null when it is queued. */
export async function send(user: string, draft: Draft, files: readonly File[]): Promise<string | null> {
  try {
    await enqueue(user, draft, files);
    return null;
  } catch {
    const ids: string[] = [];
    for (const file of files) {
      const result = await uploadFile(file);
      if ("offline" in result) return w("uploadFailed", { name: file.name, why: w("fileNetwork") });
      if ("problem" in result) return w("uploadFailed", { name: file.name, why: result.problem });
      ids.push(result.id);
    }
    const input = { ...draft.input, fileIds: [...draft.input.fileIds, ...ids] };
    await enqueue(user, { ...draft, input, files: files.map((file) => file.name) } as Draft);
    return null;
  }
}

/** A file field; offline it says the files wait on the device with the draft. */
export function FilePicker(props: { label: string; online: boolean; files: File[]; onChange: (files: File[]) => void; name: string }): JSX.Element {
  return (
    <label>
      {props.label}
      <input
        type="file"
        name={props.name}
        multiple
        aria-describedby={props.online ? undefined : `${props.name}-offline`}
        onChange={(event) => props.onChange(Array.from(event.currentTarget.files ?? []))}
      />
      {props.online ? null : (
        <span id={`${props.name}-offline`} class="hint">
          {w("filesOffline")}
        </span>
      )}
    </label>
  );
}

/** A draft of the outbox: waiting, sending, or refused with the server's reason (fix or discard). */
export function Pending(props: { entry: Entry; children: JSX.Element | string; onEdit: (entry: Entry) => void }): JSX.Element {
  const { entry } = props;
  const state = entry.state === "refused" ? w("refused") : entry.state === "sending" ? w("sending") : w("waiting");
  return (
    <div class={`pending state-${entry.state}`} data-draft={entry.id}>
      <div class="pending-body">{props.children}</div>
      {entry.draft.files.length ? <p class="hint">{entry.draft.files.join(", ")}</p> : null}
      <p class="pending-state" role={entry.state === "refused" ? "alert" : "status"}>
        <strong>{state}</strong>
        {entry.problem ? `: ${entry.problem}` : null}
      </p>
      {entry.state === "refused" ? (
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              const removed = discard(entry.id);
              if (removed) props.onEdit(removed);
            }}
          >
            {w("edit")}
          </button>
          <button type="button" class="secondary" onClick={() => discard(entry.id)}>
            {w("discard")}
          </button>
        </div>
      ) : null}
    </div>
  );
}
