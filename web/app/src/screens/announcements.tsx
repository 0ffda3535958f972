// The announcements the viewer is in the audience of (school-wide and the child's class), newest
// first with the pinned ones marked, twenty at a time.
import type { CombinedError } from "@urql/core";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import AnnouncementsDocument from "../documents/Announcements.graphql";
import type { AnnouncementsQuery } from "../generated";
import { locale } from "../i18n";
import { reconnections } from "../live";
import type { ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { Attachments, KeptNotice, LoadState, kept } from "./common";
import { formatMoment, w } from "./words_messages";

const ANNOUNCEMENTS = trusted(AnnouncementsDocument);

type Announcement = AnnouncementsQuery["viewer"]["announcements"]["edges"][number]["node"];

export default function Announcements(props: ScreenProps): JSX.Element {
  useSignal(locale);
  const [items, setItems] = useState<Announcement[] | undefined>(() => kept<Announcement[]>("announcements", undefined));
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<CombinedError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const reconnected = useSignal(reconnections);

  async function load(after: string | null) {
    setBusy(true);
    const result = await client.query<AnnouncementsQuery>(ANNOUNCEMENTS, { after }).toPromise();
    setBusy(false);
    setError(result.error);
    const page = result.data?.viewer.announcements;
    if (!page) return;
    const nodes = page.edges.map((edge) => edge.node);
    setItems((shown) => {
      const all = after ? [...(shown ?? []), ...nodes.filter((node) => !shown?.some((s) => s.id === node.id))] : nodes;
      if (!after) kept("announcements", all);
      return all;
    });
    setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
  }

  useEffect(() => void load(null), [reconnected]);

  return (
    <section aria-labelledby="announcements-title" class="talk">
      <h2 id="announcements-title">{w("announcementsTitle")}</h2>
      <KeptNotice error={error} />
      {!items ? (
        <LoadState error={error} retry={() => void load(null)} />
      ) : items.length === 0 ? (
        <p class="empty">{w("announcementsEmpty")}</p>
      ) : (
        <ol class="cards">
          {items.map((item) => (
            <li key={item.id} class={`card announcement${item.pinned ? " pinned" : ""}`} data-announcement={item.id} aria-labelledby={`announcement-${item.id}`}>
              <h3 id={`announcement-${item.id}`}>
                {item.pinned ? <span class="badge">{w("pinned")}</span> : null} {item.title}
              </h3>
              <p class="byline">
                {item.author.fullName} · {item.schoolClass ? w("forClass", { name: item.schoolClass.name }) : w("wholeSchool")} ·{" "}
                <time dateTime={item.publishedAt}>{formatMoment(item.publishedAt, props.zone)}</time>
                {item.updatedAt ? ` · ${w("updated", { when: formatMoment(item.updatedAt, props.zone) })}` : ""}
              </p>
              <p class="text">{item.body}</p>
              <Attachments files={item.attachments} />
            </li>
          ))}
        </ol>
      )}
      {next ? (
        <button type="button" class="secondary" disabled={busy} onClick={() => void load(next)}>
          {w("more")}
        </button>
      ) : null}
    </section>
  );
}
