// The progress chart: the child's weighted average per week or month in one subject against the
// class's, drawn as SVG from the figures (no chart library: the screen stays a few KB). The
// picture has a title and a description; the same figures follow as a table, which is what a
// screen reader reads.
import type { JSX } from "preact";

import { locale } from "../i18n";
import { formatAverage, formatDate, formatMonth, w } from "./words_schoolwork";

export interface Point {
  bucketStart: string;
  weightedAverage: number | null;
  runningWeightedAverage: number | null;
  classWeightedAverage: number | null;
  gradeCount: number;
}

const WIDTH = 640;
const HEIGHT = 260;
const PAD = { left: 36, right: 32, top: 12, bottom: 36 };

/** Path data through the points, broken where a value is missing. */
function line(points: (readonly [number, number] | null)[]): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${p[0].toFixed(1)} ${p[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

function shortDay(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function ProgressChart(props: { id: string; points: readonly Point[]; bucket: "WEEK" | "MONTH"; min: number; max: number; title: string }): JSX.Element {
  const { points, bucket, id } = props;
  const values = points.flatMap((p) => [p.weightedAverage, p.classWeightedAverage]).filter((v): v is number => v !== null);
  const low = Math.floor(Math.min(props.min, ...values));
  const high = Math.ceil(Math.max(props.max, ...values));
  const span = high - low || 1;
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW / 2 : (innerW * i) / (points.length - 1));
  const y = (v: number) => PAD.top + innerH * (1 - (v - low) / span);
  const at = (pick: (p: Point) => number | null) => points.map((p, i) => (pick(p) === null ? null : ([x(i), y(pick(p)!)] as const)));
  const child = at((p) => p.weightedAverage);
  const klass = at((p) => p.classWeightedAverage);
  const step = high - low > 20 ? Math.ceil((high - low) / 10) : 1;
  const ticks = Array.from({ length: Math.floor((high - low) / step) + 1 }, (_, i) => low + i * step);
  const every = Math.max(1, Math.ceil(points.length / 8));
  const label = (iso: string) => (bucket === "MONTH" ? formatMonth(iso) : formatDate(iso));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{w("chartDescription")}</desc>
        {ticks.map((v) => (
          <g key={v} class="tick">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end">
              {new Intl.NumberFormat(locale.get()).format(v)}
            </text>
          </g>
        ))}
        {points.map((p, i) =>
          i % every === 0 ? (
            <text key={p.bucketStart} class="x-label" x={x(i)} y={HEIGHT - 12} text-anchor={i === points.length - 1 && i > 0 ? "end" : "middle"}>
              {bucket === "MONTH" ? formatMonth(p.bucketStart).split(" ")[0] : shortDay(p.bucketStart)}
            </text>
          ) : null,
        )}
        <path class="series class" d={line(klass)} />
        <path class="series child" d={line(child)} />
        {klass.map((p, i) => (p ? <rect key={`c${i}`} class="dot class" x={p[0] - 3} y={p[1] - 3} width={6} height={6} /> : null))}
        {child.map((p, i) => (p ? <circle key={`s${i}`} class="dot child" cx={p[0]} cy={p[1]} r={4} /> : null))}
      </svg>
      <figcaption class="legend" aria-hidden="true">
        <span class="key child">{w("child")}</span>
        <span class="key class">{w("classSeries")}</span>
      </figcaption>
      <table class="chart-table">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">{bucket === "MONTH" ? w("month") : w("weekOf")}</th>
            <th scope="col">{w("child")}</th>
            <th scope="col">{w("running")}</th>
            <th scope="col">{w("classSeries")}</th>
            <th scope="col">{w("gradeCount")}</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.bucketStart} data-bucket={p.bucketStart}>
              <th scope="row">{label(p.bucketStart)}</th>
              <td>{formatAverage(p.weightedAverage)}</td>
              <td>{formatAverage(p.runningWeightedAverage)}</td>
              <td>{formatAverage(p.classWeightedAverage)}</td>
              <td>{p.gradeCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
