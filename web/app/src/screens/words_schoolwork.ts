// The words of the school-work screens (lesson details, progress, final grades), loaded with them
// rather than with the first page; Russian and English like src/i18n.ts, numbers and dates by Intl.
import { locale } from "../i18n";

const ru = {
  backToWeek: "← К неделе",
  offline: "Нет сети, и этот раздел ещё не загружался: он откроется, когда сеть появится.",
  period: "{n}-й урок",
  teacher: "Учитель",
  substitute: "Замена",
  assessment: "Проверочная работа",
  homework: "Домашнее задание",
  noHomework: "Домашнего задания нет",
  files: "Файлы",
  links: "Ссылки",
  setBy: "Задал(а)",
  handIn: "Сдача работы",
  due: "Сдать до",
  attempt: "Попытка",
  handedInAt: "Сдано",
  returnComment: "Комментарий учителя",
  work: "Работа",
  workGrade: "Оценка за работу",
  workText: "Текст работы",
  attach: "Прикрепить файлы (до 10 МБ каждый)",
  keep: "Оставить файл",
  handInNow: "Сдать работу",
  handInAgain: "Сдать заново",
  sending: "Отправляем…",
  sent: "Работа сдана.",
  notSent: "Работа не сдана",
  offlineWrite: "Нет сети: работа не отправлена. Отправьте её, когда сеть появится.",
  uploadRefused: "Файл «{name}» не принят",
  grades: "Оценки",
  noGrades: "Оценок нет",
  weight: "Вес",
  kind: "За что",
  comment: "Комментарий",
  given: "Поставлена",
  history: "История изменений",
  reason: "причина",
  removedGrades: "Удалённые оценки",
  attendance: "Посещаемость",
  notMarked: "не отмечено",
  marksHistory: "История отметок",
  lessonMissing: "Этого урока нет в дневнике ученика.",
  upcoming: "Проверочные работы в ближайшие 7 дней",
  noUpcoming: "В ближайшие 7 дней проверочных работ нет.",
  term: "Период",
  year: "Учебный год",
  subject: "Предмет",
  average: "Средний балл",
  weightedAverage: "Средневзвешенный",
  classAverage: "Средний по классу",
  absences: "Пропуски (без уваж.)",
  late: "Опоздания",
  suggested: "Выходит",
  noProgress: "За этот период оценок нет.",
  rank: "Место в классе: {position} из {size}",
  allSubjects: "Все предметы",
  chart: "График успеваемости",
  bucket: "Шаг",
  byWeek: "По неделям",
  byMonth: "По месяцам",
  chartTitle: "{subject}: {name} и класс",
  chartDescription: "Средневзвешенный балл ученика по предмету за каждый период в сравнении со средним по классу.",
  child: "Ученик",
  classSeries: "Класс",
  running: "Накопительный",
  weekOf: "Неделя с",
  month: "Месяц",
  gradeCount: "Оценок",
  noChart: "По этому предмету за период оценок нет: графику не из чего строиться.",
  finalGrades: "Итоговые оценки",
  yearGrade: "За год",
  notSet: "не выставлена",
  suggestedBy: "по среднему: {value}",
  noTerms: "У школы нет учебных периодов.",
  noSubjects: "Итоговых оценок и оценок за этот учебный год нет.",
  changes: "Изменения итоговых оценок",
  noChanges: "Итоговые оценки не менялись.",
  action: { CREATED: "поставлена", UPDATED: "исправлена", DELETED: "удалена" } as Record<string, string>,
};

type Words = typeof ru;

const en: Words = {
  backToWeek: "← Back to the week",
  offline: "Offline, and this section has not been loaded before: it opens when the network is back.",
  period: "Period {n}",
  teacher: "Teacher",
  substitute: "Substitute",
  assessment: "Assessment",
  homework: "Homework",
  noHomework: "No homework",
  files: "Files",
  links: "Links",
  setBy: "Set by",
  handIn: "Hand-in",
  due: "Due",
  attempt: "Attempt",
  handedInAt: "Handed in",
  returnComment: "Teacher's comment",
  work: "The work",
  workGrade: "Grade for the work",
  workText: "Your work",
  attach: "Attach files (up to 10 MB each)",
  keep: "Keep the file",
  handInNow: "Hand in",
  handInAgain: "Hand in again",
  sending: "Sending…",
  sent: "Handed in.",
  notSent: "Not handed in",
  offlineWrite: "Offline: the work was not sent. Send it when the network is back.",
  uploadRefused: "The file “{name}” was refused",
  grades: "Grades",
  noGrades: "No grades",
  weight: "Weight",
  kind: "For",
  comment: "Comment",
  given: "Given",
  history: "History of changes",
  reason: "reason",
  removedGrades: "Removed grades",
  attendance: "Attendance",
  notMarked: "not marked",
  marksHistory: "History of marks",
  lessonMissing: "This lesson is not in the student's diary.",
  upcoming: "Assessments in the next 7 days",
  noUpcoming: "No assessments in the next 7 days.",
  term: "Term",
  year: "School year",
  subject: "Subject",
  average: "Average",
  weightedAverage: "Weighted average",
  classAverage: "Class average",
  absences: "Absences (unexcused)",
  late: "Late",
  suggested: "Suggests",
  noProgress: "No grades in this term.",
  rank: "Place in the class: {position} of {size}",
  allSubjects: "All subjects",
  chart: "Progress chart",
  bucket: "Step",
  byWeek: "By week",
  byMonth: "By month",
  chartTitle: "{subject}: {name} and the class",
  chartDescription: "The student's weighted average in the subject for each period, against the class's average.",
  child: "Student",
  classSeries: "Class",
  running: "Running",
  weekOf: "Week of",
  month: "Month",
  gradeCount: "Grades",
  noChart: "No grades in this subject in the term: nothing to chart.",
  finalGrades: "Final grades",
  yearGrade: "Year",
  notSet: "not set",
  suggestedBy: "average suggests {value}",
  noTerms: "The school has no terms.",
  noSubjects: "No final grades and no grades in this school year.",
  changes: "Changes of final grades",
  noChanges: "No final grade was changed.",
  action: { CREATED: "given", UPDATED: "changed", DELETED: "removed" },
};

const WORDS: Record<string, Words> = { ru, en };

type Simple = { [K in keyof Words]: Words[K] extends string ? K : never }[keyof Words];

/** The screen's word for ``key``, its ``{placeholders}`` filled in. */
export function w(key: Simple, values: Record<string, string | number> = {}): string {
  const text = WORDS[locale.get()][key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}

export function actionLabel(action: string): string {
  return WORDS[locale.get()].action[action] ?? action;
}

/** An average as "4,25" (ru) or "4.25" (en); "—" for none. */
export function formatAverage(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale.get(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
}

/** A date as "7 дек. 2026 г." */
export function formatDate(isoDate: string, month: "short" | "long" = "short"): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month, year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A month as "декабрь 2026 г." */
export function formatMonth(isoDate: string): string {
  const [y, m] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale.get(), { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
}

/** An instant in the school's time zone, as "7 дек., 09:30". */
export function formatMoment(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(instant));
}

/** A file's size as "12 КБ" / "1,2 МБ". */
export function formatSize(bytes: number): string {
  const lang = locale.get();
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), "megabyte"] : [Math.max(1, Math.round(bytes / 1024)), "kilobyte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}
