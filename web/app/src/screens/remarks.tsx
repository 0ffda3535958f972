// Teachers' remarks on the child, newest first, three months at a time; the family (or the
// student) acknowledges each (remarkAcknowledge: the first acknowledgement is kept). A new remark
// arrives live as a REMARK_ADDED diary event.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { client, trusted } from "../client";
import RemarkAcknowledgeDocument from "../documents/RemarkAcknowledge.graphql";
import RemarksDocument from "../documents/Remarks.graphql";
import type { RemarkAcknowledgeMutation, RemarksQuery, RemarksQueryVariables } from "../generated";
import { locale } from "../i18n";
import { followDiary, reconnections } from "../live";
import type { ScreenProps } from "../nav";
import { useSignal } from "../signal";
import { addDays, today } from "../week";
import { Attachments, KeptNotice, LoadState, kept } from "./common";
import { formatDate, formatMoment, remarkKind, w } from "./words_messages";

const REMARKS = trusted(RemarksDocument);
const REMARK_ACKNOWLEDGE = trusted(RemarkAcknowledgeDocument);

type Remark = NonNullable<RemarksQuery["student"]>["remarks"][number];

const SPAN = 91; // days a page covers (the API allows 92)

export default function Remarks(props: ScreenProps): JSX.Element {
  useSignal(locale);
  const { student, zone } = props;
  const [until, setUntil] = useState(() => today(zone));
  const from = addDays(until, -SPAN);
  const [result, reexecute] = useQuery<RemarksQuery, RemarksQueryVariables>({ query: REMARKS, variables: { studentId: student.id, from, to: until } });
  const remarks = kept<Remark[]>(`remarks.${student.id}.${until}`, result.data?.student?.remarks);
  const refetch = () => reexecute({ requestPolicy: "network-only" });

  const reconnected = useSignal(reconnections);
  useEffect(() => {
    if (reconnected) refetch();
  }, [reconnected]);
  useEffect(() => followDiary(student.id, (event) => event.kind === "REMARK_ADDED" && refetch()), [student.id]);

  return (
    <section aria-labelledby="remarks-title" class="talk">
      <h2 id="remarks-title">
        {w("remarksTitle")}: {student.fullName}
      </h2>
      <p class="range">{w("remarksRange", { from: formatDate(from), to: formatDate(until) })}</p>
      <KeptNotice error={result.error} />
      {!remarks ? (
        <LoadState error={result.error} retry={refetch} />
      ) : remarks.length === 0 ? (
        <p class="empty">{w("remarksEmpty")}</p>
      ) : (
        <ol class="cards">
          {remarks.map((remark) => (
            <RemarkCard key={remark.id} remark={remark} zone={zone} />
          ))}
        </ol>
      )}
      <button type="button" class="secondary" onClick={() => setUntil(addDays(from, -1))}>
        {w("earlier")}
      </button>
    </section>
  );
}

function RemarkCard(props: { remark: Remark; zone: string }): JSX.Element {
  const [remark, setRemark] = useState(props.remark);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setRemark(props.remark), [props.remark]);

  async function acknowledge() {
    setBusy(true);
    setProblem(null);
    const result = await client.mutation<RemarkAcknowledgeMutation>(REMARK_ACKNOWLEDGE, { input: { remarkId: remark.id } }).toPromise();
    setBusy(false);
    const answer = result.data?.remarkAcknowledge;
    if (answer?.__typename === "RemarkAcknowledgeSuccess") setRemark({ ...remark, ...answer.remark });
    else if (answer) setProblem(answer.message);
    else setProblem(result.error?.networkError ? w("fileNetwork") : (result.error?.graphQLErrors[0]?.message ?? w("error")));
  }

  const heading = `remark-${remark.id}`;
  return (
    <li class={`card remark kind-${remark.kind.toLowerCase()}`} data-remark={remark.id} aria-labelledby={heading}>
      <h3 id={heading}>
        {remarkKind(remark.kind)}
        {remark.subject ? ` · ${remark.subject.name}` : ""} · {formatDate(remark.date)}
      </h3>
      <p class="byline">{remark.author.fullName}</p>
      <p class="text">{remark.text}</p>
      <Attachments files={remark.attachments} />
      {remark.acknowledgedAt ? (
        <p class="acknowledged">{w("acknowledged", { who: remark.acknowledgedBy?.fullName ?? "", when: formatMoment(remark.acknowledgedAt, props.zone) })}</p>
      ) : (
        <div class="actions">
          <span class="hint">{w("notAcknowledged")}</span>
          <button type="button" onClick={() => void acknowledge()} disabled={busy}>
            {w("acknowledge")}
          </button>
        </div>
      )}
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
    </li>
  );
}
