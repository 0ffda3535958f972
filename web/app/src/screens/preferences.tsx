// Notification settings (`notificationPreferences`, `notificationPreferencesSet`): the channels of
// each category (in the app, e-mail, SMS, push to the devices of this account), quiet hours, the
// hour of assessment reminders and the phone for SMS; push on this device is switched in the bar.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import NotificationPreferencesDocument from "../documents/NotificationPreferences.graphql";
import NotificationPreferencesSetDocument from "../documents/NotificationPreferencesSet.graphql";
import type { NotificationPreferencesQuery, NotificationPreferencesSetMutation } from "../generated";
import { t } from "../i18n";
import { categoryName, w } from "./words_account";

const PREFERENCES = trusted(NotificationPreferencesDocument);
const SET = trusted(NotificationPreferencesSetDocument);

type Preferences = NotificationPreferencesQuery["viewer"]["notificationPreferences"];
type Channels = Preferences["channels"][number];
const CHANNELS = ["inApp", "email", "sms", "push"] as const;

const hhmm = (time: string | null) => (time ? time.slice(0, 5) : "");

export default function PreferencesScreen(): JSX.Element {
  const [result] = useQuery<NotificationPreferencesQuery>({ query: PREFERENCES });
  const loaded = result.data?.viewer.notificationPreferences;
  const [channels, setChannels] = useState<Channels[]>([]);
  const [quietStart, setQuietStart] = useState("");
  const [quietEnd, setQuietEnd] = useState("");
  const [reminderHour, setReminderHour] = useState("");
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);

  function show(preferences: Preferences) {
    setChannels(preferences.channels);
    setQuietStart(hhmm(preferences.quietHoursStart));
    setQuietEnd(hhmm(preferences.quietHoursEnd));
    setReminderHour(preferences.reminderHour === null ? "" : String(preferences.reminderHour));
    setPhone(preferences.phone ?? "");
  }
  useEffect(() => {
    if (loaded) show(loaded);
  }, [loaded]);

  function toggle(category: string, channel: (typeof CHANNELS)[number], on: boolean) {
    setSaved(false);
    setChannels(channels.map((c) => (c.category === category ? { ...c, [channel]: on } : c)));
  }

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblems([]);
    setSaved(false);
    const input = {
      channels: channels.map(({ category, inApp, email, sms, push }) => ({ category, inApp, email, sms, push })),
      quietHoursStart: quietStart || null,
      quietHoursEnd: quietEnd || null,
      timezone: loaded?.timezone ?? null,
      reminderHour: reminderHour === "" ? null : Number(reminderHour),
      phone: phone.trim() || null,
    };
    const answer = await client.mutation<NotificationPreferencesSetMutation>(SET, { input }).toPromise();
    setBusy(false);
    const reply = answer.data?.notificationPreferencesSet;
    if (reply?.__typename === "NotificationPreferencesSetSuccess") {
      show(reply.preferences);
      setSaved(true);
    } else if (reply?.__typename === "ValidationError") {
      setProblems(reply.fields.length ? reply.fields.map((f) => f.message) : [reply.message]);
    } else {
      setProblems([answer.error?.message ?? t("error")]);
    }
  }

  if (!loaded) return <p role="status">{result.error ? `${t("error")}: ${result.error.message}` : t("loading")}</p>;
  return (
    <form class="preferences" onSubmit={save} aria-labelledby="preferences-title">
      <h2 id="preferences-title">{w("preferences")}</h2>
      <table>
        <caption class="visually-hidden">{w("preferences")}</caption>
        <thead>
          <tr>
            <th scope="col">{w("category")}</th>
            {CHANNELS.map((channel) => (
              <th scope="col" key={channel}>
                {w(channel)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {channels.map((row) => (
            <tr key={row.category} data-category={row.category}>
              <th scope="row">{categoryName(row.category)}</th>
              {CHANNELS.map((channel) => (
                <td key={channel}>
                  <input
                    type="checkbox"
                    name={`${row.category}.${channel}`}
                    aria-label={`${categoryName(row.category)}: ${w(channel)}`}
                    checked={row[channel]}
                    onChange={(e) => toggle(row.category, channel, e.currentTarget.checked)}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <fieldset class="quiet">
        <legend>{w("quietHours")}</legend>
        <label>
          {w("quietFrom")}
          <input type="time" name="quiet-start" value={quietStart} onInput={(e) => (setSaved(false), setQuietStart(e.currentTarget.value))} />
        </label>
        <label>
          {w("quietTo")}
          <input type="time" name="quiet-end" value={quietEnd} onInput={(e) => (setSaved(false), setQuietEnd(e.currentTarget.value))} />
        </label>
      </fieldset>
      <label>
        {w("reminderHour")}
        <input type="number" name="reminder-hour" min={0} max={23} placeholder="18" value={reminderHour} onInput={(e) => (setSaved(false), setReminderHour(e.currentTarget.value))} />
      </label>
      <label>
        {w("phone")}
        <input type="tel" name="phone" autoComplete="tel" placeholder="+7" value={phone} onInput={(e) => (setSaved(false), setPhone(e.currentTarget.value))} />
      </label>
      {problems.length ? (
        <div class="problem" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      ) : null}
      {saved ? (
        <p class="saved" role="status">
          {w("saved")}
        </p>
      ) : null}
      <button type="submit" disabled={busy}>
        {w("save")}
      </button>
    </form>
  );
}
