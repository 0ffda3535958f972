// Files the way README "Files" shows: fileUploadStart, then PUT the bytes to its signed URL; the
// upload id goes in the write's `fileIds`. And files kept for the outbox (a doctor's note chosen
// offline) in IndexedDB until they can be uploaded: one person's, dropped with the session.
import { client, trusted } from "./client";
import FileUploadStartDocument from "./documents/FileUploadStart.graphql";
import type { FileUploadStartMutation } from "./generated";
import { locale } from "./i18n";

const FILE_UPLOAD_START = trusted(FileUploadStartDocument);

export type Uploaded = { id: string } | { offline: true } | { problem: string; status?: number };

/** Upload one file: its upload id, or no network, or the server's refusal in the user's language. */
export async function uploadFile(file: Blob & { name: string }): Promise<Uploaded> {
  const result = await client.mutation<FileUploadStartMutation>(FILE_UPLOAD_START, { input: { name: file.name, size: file.size } }).toPromise();
  const answer = result.data?.fileUploadStart;
  if (!answer) {
    if (result.error?.networkError || !result.error) return { offline: true };
    return { problem: result.error.graphQLErrors[0]?.message ?? result.error.message };
  }
  if (answer.__typename !== "FileUploadStartSuccess") return { problem: answer.message };
  let response: Response;
  try {
    response = await fetch(answer.uploadUrl, { method: "PUT", body: file, headers: { "Accept-Language": locale.get() } });
  } catch {
    return { offline: true };
  }
  if (response.status === 204) return { id: answer.uploadId };
  if (response.status >= 500) return { offline: true }; // the server is not well: try later
  const body = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
  return { problem: body?.errors?.[0]?.message ?? response.statusText, status: response.status };
}

const DATABASE = "ediary-outbox";
const STORE = "files";

function database(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await database();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

/** Keep files for a draft; their keys. */
export async function keepFiles(draft: string, files: readonly File[]): Promise<string[]> {
  const keys = files.map((_, index) => `${draft}/${index}`);
  await run("readwrite", (store) => {
    files.forEach((file, index) => store.put(file, keys[index]));
  });
  return keys;
}

export function keptFile(key: string): Promise<File | undefined> {
  return run<File>("readonly", (store) => store.get(key) as IDBRequest<File>);
}

export async function dropFiles(keys: readonly string[]): Promise<void> {
  if (!keys.length) return;
  await run("readwrite", (store) => {
    for (const key of keys) store.delete(key);
  });
}

export async function dropAllFiles(): Promise<void> {
  await run("readwrite", (store) => store.clear());
}
