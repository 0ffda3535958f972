// A forgotten password (`passwordRecoveryStart`, `passwordRecoveryComplete`): ask for a link by
// e-mail or a code by SMS, then set a new password with the link's token (the e-mailed link opens
// /password-recovery?token=..., which the server serves as this app) or with the SMS code.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { client, trusted } from "../client";
import PasswordRecoveryCompleteDocument from "../documents/PasswordRecoveryComplete.graphql";
import PasswordRecoveryStartDocument from "../documents/PasswordRecoveryStart.graphql";
import type { PasswordRecoveryCompleteMutation, PasswordRecoveryStartMutation } from "../generated";
import { t } from "../i18n";
import { w } from "./words_account";

const START = trusted(PasswordRecoveryStartDocument);
const COMPLETE = trusted(PasswordRecoveryCompleteDocument);

type Channel = "EMAIL" | "SMS";

export default function Recovery(props: { token: string | null; onDone: (message: string | null) => void }): JSX.Element {
  const [who, setWho] = useState("");
  const [channel, setChannel] = useState<Channel>("EMAIL");
  const [sent, setSent] = useState<Channel | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function request(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const answer = await client.mutation<PasswordRecoveryStartMutation>(START, { input: { login: who, channel } }).toPromise();
    setBusy(false);
    const reply = answer.data?.passwordRecoveryStart;
    if (reply?.__typename === "PasswordRecoveryStartSuccess") setSent(channel);
    else setProblem(reply && "message" in reply ? reply.message : answer.error?.message ?? t("error"));
  }

  const byCode = sent === "SMS";
  return (
    <main id="main" class="sign-in">
      <header class="bar">
        <h1>{t("title")}</h1>
      </header>
      {props.token || byCode ? (
        <NewPassword token={props.token} login={byCode ? who : null} onDone={props.onDone} />
      ) : sent === "EMAIL" ? (
        <section class="form" aria-labelledby="recovery-title">
          <h2 id="recovery-title">{w("recoveryTitle")}</h2>
          <p role="status">{w("recoverySent")}</p>
          <button type="button" class="secondary" onClick={() => props.onDone(null)}>
            {w("toSignIn")}
          </button>
        </section>
      ) : (
        <form onSubmit={request} aria-labelledby="recovery-title">
          <h2 id="recovery-title">{w("recoveryTitle")}</h2>
          <p id="recovery-hint">{w("recoveryHint")}</p>
          <label>
            {w("recoveryWho")}
            <input name="who" autoComplete="username" required aria-describedby="recovery-hint" value={who} onInput={(e) => setWho(e.currentTarget.value)} />
          </label>
          <fieldset>
            <legend class="visually-hidden">{w("recoveryTitle")}</legend>
            {(["EMAIL", "SMS"] as const).map((value) => (
              <label class="choice" key={value}>
                <input type="radio" name="channel" value={value} checked={channel === value} onChange={() => setChannel(value)} />
                {value === "EMAIL" ? w("byEmail") : w("bySms")}
              </label>
            ))}
          </fieldset>
          {problem ? (
            <p class="problem" role="alert">
              {problem}
            </p>
          ) : null}
          <div class="actions">
            <button type="button" class="secondary" onClick={() => props.onDone(null)}>
              {t("back")}
            </button>
            <button type="submit" disabled={busy}>
              {w("recoverySend")}
            </button>
          </div>
        </form>
      )}
    </main>
  );
}

function NewPassword(props: { token: string | null; login: string | null; onDone: (message: string | null) => void }): JSX.Element {
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  async function submit(event: Event) {
    event.preventDefault();
    if (password !== again) {
      setProblems([w("passwordsDiffer")]);
      return;
    }
    setBusy(true);
    setProblems([]);
    const input = props.token ? { token: props.token, newPassword: password } : { login: props.login, code, newPassword: password };
    const answer = await client.mutation<PasswordRecoveryCompleteMutation>(COMPLETE, { input }).toPromise();
    setBusy(false);
    const reply = answer.data?.passwordRecoveryComplete;
    if (reply?.__typename === "PasswordRecoveryCompleteSuccess") props.onDone(w("passwordSet"));
    else if (reply?.__typename === "ValidationError") setProblems(reply.fields.map((f) => f.message));
    else setProblems([reply && "message" in reply ? reply.message : answer.error?.message ?? t("error")]);
  }

  return (
    <form onSubmit={submit} aria-labelledby="new-password-title">
      <h2 id="new-password-title">{w("recoveryTitle")}</h2>
      {props.login !== null ? (
        <>
          <p role="status">{w("recoverySentSms")}</p>
          <label>
            {w("smsCode")}
            <input name="code" autoComplete="one-time-code" inputMode="numeric" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
        </>
      ) : null}
      <p id="new-password-hint">{w("newPasswordHint")}</p>
      <label>
        {w("newPassword")}
        <input
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          aria-describedby="new-password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <label>
        {w("newPasswordAgain")}
        <input name="new-password-again" type="password" autoComplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
      </label>
      {problems.length ? (
        <div class="problem" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      ) : null}
      <div class="actions">
        <button type="button" class="secondary" onClick={() => props.onDone(null)}>
          {t("back")}
        </button>
        <button type="submit" disabled={busy}>
          {w("setPassword")}
        </button>
      </div>
    </form>
  );
}
