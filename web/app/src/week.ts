// Weeks (Monday to Sunday) as ISO dates, and what the address bar keeps: #student=<id>&week=<monday>
// (and the section, src/nav.tsx).

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function parse(iso: string): Date {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

export function addDays(iso: string, days: number): string {
  const date = parse(iso);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDate(date);
}

export function mondayOf(iso: string): string {
  const weekday = (parse(iso).getUTCDay() + 6) % 7; // Monday 0
  return addDays(iso, -weekday);
}

/** Today in the school's time zone. */
export function today(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

export interface Place {
  student: string | null;
  week: string | null;
}

export function readPlace(): Place {
  const params = new URLSearchParams(location.hash.slice(1));
  const week = params.get("week");
  return { student: params.get("student"), week: week && /^\d{4}-\d{2}-\d{2}$/.test(week) ? mondayOf(week) : null };
}

export function writePlace(place: Place): void {
  const params = new URLSearchParams(location.hash.slice(1)); // the section's own (src/nav.tsx) kept
  for (const [key, value] of [["student", place.student], ["week", place.week]] as const) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  history.replaceState(null, "", `#${params.toString()}`);
}
