// The account's sessions ("log out that phone"): every device signed in, this one marked; ending
// another one (`sessionRevoke`) signs it out at once (its socket closes with 4401, and that app
// goes back to its sign-in screen); ending this one is signing out.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { client, trusted } from "../client";
import SessionRevokeDocument from "../documents/SessionRevoke.graphql";
import SessionsDocument from "../documents/Sessions.graphql";
import type { SessionRevokeMutation, SessionsQuery } from "../generated";
import { t } from "../i18n";
import { signOut } from "../session";
import { formatMoment, w } from "./words_account";

const SESSIONS = trusted(SessionsDocument);
const REVOKE = trusted(SessionRevokeDocument);

/** "Chrome on Android" from a User-Agent, else the string itself (shortened). */
export function deviceName(agent: string | null): string {
  if (!agent) return w("unknownDevice");
  const browser = /Edg\//.test(agent) ? "Edge" : /Firefox\//.test(agent) ? "Firefox" : /Chrom(e|ium)\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : null;
  const system = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS" : /Windows/.test(agent) ? "Windows" : /Mac OS X/.test(agent) ? "macOS" : /Linux/.test(agent) ? "Linux" : null;
  if (browser && system) return `${browser}, ${system}`;
  return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
}

export default function Sessions(): JSX.Element {
  const [result, reexecute] = useQuery<SessionsQuery>({ query: SESSIONS });
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const sessions = result.data?.viewer.sessions.edges.map((e) => e.node);

  async function revoke(id: string, current: boolean) {
    setProblem(null);
    setDone(false);
    if (current) {
      await signOut();
      return;
    }
    const answer = await client.mutation<SessionRevokeMutation>(REVOKE, { input: { sessionId: id } }).toPromise();
    const reply = answer.data?.sessionRevoke;
    if (reply?.__typename === "SessionRevokeSuccess") setDone(true);
    else setProblem(reply && "message" in reply ? reply.message : answer.error?.message ?? t("error"));
    reexecute({ requestPolicy: "network-only" });
  }

  return (
    <section class="sessions" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{w("sessions")}</h2>
      <p>{w("sessionsHint")}</p>
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {done ? (
        <p class="saved" role="status">
          {w("revoked")}
        </p>
      ) : null}
      {!sessions ? (
        <p role="status">{result.error ? `${t("error")}: ${result.error.message}` : t("loading")}</p>
      ) : (
        <ul class="session-list">
          {sessions.map((s) => (
            <li key={s.id} data-session={s.id} class={s.current ? "current" : undefined}>
              <div>
                <strong>{deviceName(s.userAgent)}</strong>
                {s.current ? <span class="this-device"> · {w("thisDevice")}</span> : null}
                <p>
                  {w("signedInAt")} <time dateTime={s.createdAt}>{formatMoment(s.createdAt)}</time> · {w("lastSeen")}{" "}
                  <time dateTime={s.lastSeenAt}>{formatMoment(s.lastSeenAt)}</time>
                  {s.address ? ` · ${s.address}` : ""}
                </p>
              </div>
              <button type="button" class="secondary" onClick={() => void revoke(s.id, s.current)} aria-label={`${s.current ? t("signOut") : w("revoke")}: ${deviceName(s.userAgent)}`}>
                {s.current ? t("signOut") : w("revoke")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
