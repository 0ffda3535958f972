// Files as download links (`File.url`: this server's, working for 5 minutes while the session
// lasts; the screens read it fresh each time they load).
import type { JSX } from "preact";

import { formatSize } from "./words_schoolwork";

export interface FileRef {
  id: string;
  name: string;
  size: number;
  url: string;
}

export function Files(props: { files: readonly FileRef[] }): JSX.Element {
  return (
    <ul class="files">
      {props.files.map((f) => (
        <li key={f.id}>
          <a href={f.url} download={f.name}>
            {f.name}
          </a>{" "}
          <span class="muted">({formatSize(f.size)})</span>
        </li>
      ))}
    </ul>
  );
}
