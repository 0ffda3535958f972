// Russian by default, English on request: the app's own words here, the server's messages in
// the chosen language (Accept-Language over HTTP, `locale` in the socket's connection_init);
// dates, numbers and plurals by Intl.
import { signal } from "./signal";

export type Locale = "ru" | "en";
export const LOCALES: readonly Locale[] = ["ru", "en"];
const KEY = "ediary.locale";

type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

const ru = {
  title: "Электронный дневник",
  language: "Язык",
  login: "Логин",
  password: "Пароль",
  signIn: "Войти",
  signingIn: "Входим…",
  signOut: "Выйти",
  pushEnable: "Уведомления на этом устройстве",
  pushOn: "Уведомления включены",
  pushDenied: "Уведомления запрещены в браузере",
  secondFactor: "Код подтверждения",
  secondFactorHint: "Введите 6 цифр из приложения-аутентификатора или резервный код.",
  confirm: "Подтвердить",
  back: "Назад",
  child: "Ребёнок",
  diary: "Дневник",
  week: "Неделя",
  previousWeek: "Предыдущая неделя",
  nextWeek: "Следующая неделя",
  thisWeek: "Текущая неделя",
  loading: "Загрузка…",
  noLessons: "Уроков нет",
  dayOff: "Выходной",
  holiday: "Праздник",
  vacation: "Каникулы",
  topic: "Тема",
  homework: "Домашнее задание",
  grades: "Оценки",
  weight: "вес",
  cancelled: "Урок отменён",
  room: "каб.",
  group: "Группа",
  owed: "долг: работа не сдана",
  sections: "Разделы",
  groupSchool: "Учёба",
  groupMessages: "Общение",
  groupAccount: "Учётная запись",
  progress: "Успеваемость",
  finals: "Итоговые оценки",
  remarks: "Замечания",
  absences: "Пропуски",
  chats: "Сообщения",
  announcements: "Объявления",
  meetings: "Собрания",
  inbox: "Уведомления",
  preferences: "Настройки уведомлений",
  sessions: "Сеансы",
  unread: "непрочитанные:",
  waiting: "Ждут отправки: {n}",
  noNetwork: "Нет сети",
  screenFailed: "Раздел не открылся: проверьте сеть и попробуйте снова.",
  retry: "Повторить",
  offline: "Нет сети: показана последняя загруженная неделя.",
  offlineNothing: "Нет сети, и эта неделя ещё не загружалась.",
  live: "Обновляется сразу",
  reconnecting: "Переподключение…",
  signedOut: "Сеанс завершён: войдите снова.",
  newGrade: "Новая оценка",
  nobody: "В этой учётной записи нет учеников.",
  error: "Не удалось загрузить",
  lessons: { one: "{n} урок", few: "{n} урока", many: "{n} уроков", other: "{n} урока" } as Plural,
  minutesLate: { one: "опоздание {n} минуту", few: "опоздание {n} минуты", many: "опоздание {n} минут", other: "опоздание {n} минуты" } as Plural,
  files: { one: "{n} файл", few: "{n} файла", many: "{n} файлов", other: "{n} файла" } as Plural,
  gradeKind: {
    CLASSWORK: "Работа на уроке",
    HOMEWORK: "Домашняя работа",
    ORAL: "Устный ответ",
    QUIZ: "Самостоятельная работа",
    TEST: "Тест",
    LAB_WORK: "Лабораторная работа",
    PROJECT: "Проект",
    CONTROL_WORK: "Контрольная работа",
    DICTATION: "Диктант",
    EXAM: "Экзамен",
  } as Record<string, string>,
  handIn: {
    ASSIGNED: "не сдано",
    SUBMITTED: "сдано",
    LATE: "сдано с опозданием",
    RETURNED: "возвращено на доработку",
    GRADED: "оценено",
  } as Record<string, string>,
  attendance: {
    PRESENT: "был(а)",
    ABSENT_EXCUSED: "Н (уважительная)",
    ABSENT_UNEXCUSED: "Н",
    LATE: "опоздание",
  } as Record<string, string>,
};

type Messages = typeof ru;

const en: Messages = {
  title: "School diary",
  language: "Language",
  login: "Login",
  password: "Password",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signOut: "Sign out",
  pushEnable: "Notifications on this device",
  pushOn: "Notifications on",
  pushDenied: "Notifications are blocked in the browser",
  secondFactor: "Confirmation code",
  secondFactorHint: "Enter the 6 digits from your authenticator app, or a recovery code.",
  confirm: "Confirm",
  back: "Back",
  child: "Child",
  diary: "Diary",
  week: "Week",
  previousWeek: "Previous week",
  nextWeek: "Next week",
  thisWeek: "This week",
  loading: "Loading…",
  noLessons: "No lessons",
  dayOff: "Day off",
  holiday: "Holiday",
  vacation: "Vacation",
  topic: "Topic",
  homework: "Homework",
  grades: "Grades",
  weight: "weight",
  cancelled: "Lesson cancelled",
  room: "room",
  group: "Group",
  owed: "owed: not handed in",
  sections: "Sections",
  groupSchool: "School work",
  groupMessages: "Communication",
  groupAccount: "Account",
  progress: "Progress",
  finals: "Final grades",
  remarks: "Remarks",
  absences: "Absences",
  chats: "Messages",
  announcements: "Announcements",
  meetings: "Meetings",
  inbox: "Notifications",
  preferences: "Notification settings",
  sessions: "Sessions",
  unread: "unread:",
  waiting: "Waiting to send: {n}",
  noNetwork: "Offline",
  screenFailed: "This section did not open: check the network and try again.",
  retry: "Try again",
  offline: "Offline: showing the last loaded week.",
  offlineNothing: "Offline, and this week has not been loaded before.",
  live: "Live",
  reconnecting: "Reconnecting…",
  signedOut: "Your session has ended: sign in again.",
  newGrade: "New grade",
  nobody: "This account has no students.",
  error: "Could not load",
  lessons: { one: "{n} lesson", other: "{n} lessons" },
  minutesLate: { one: "{n} minute late", other: "{n} minutes late" },
  files: { one: "{n} file", other: "{n} files" },
  gradeKind: {
    CLASSWORK: "Classwork",
    HOMEWORK: "Homework",
    ORAL: "Oral answer",
    QUIZ: "Quiz",
    TEST: "Test",
    LAB_WORK: "Lab work",
    PROJECT: "Project",
    CONTROL_WORK: "Control work",
    DICTATION: "Dictation",
    EXAM: "Exam",
  },
  handIn: {
    ASSIGNED: "not handed in",
    SUBMITTED: "handed in",
    LATE: "handed in late",
    RETURNED: "returned for rework",
    GRADED: "graded",
  },
  attendance: {
    PRESENT: "present",
    ABSENT_EXCUSED: "absent (excused)",
    ABSENT_UNEXCUSED: "absent",
    LATE: "late",
  },
};

const CATALOGUES: Record<Locale, Messages> = { ru, en };

function initial(): Locale {
  const saved = localStorage.getItem(KEY);
  return saved === "en" || saved === "ru" ? saved : "ru";
}

export const locale = signal<Locale>(initial());

export function setLocale(next: Locale): void {
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  document.title = CATALOGUES[next].title;
  locale.set(next);
}

type Simple = { [K in keyof Messages]: Messages[K] extends string ? K : never }[keyof Messages];

/** The app's word for ``key`` in the current language. */
export function t(key: Simple): string {
  return CATALOGUES[locale.get()][key];
}

export function attendanceLabel(status: string): string {
  return CATALOGUES[locale.get()].attendance[status] ?? status;
}

/** What a grade or an assessment is for ("Контрольная работа"). */
export function kindLabel(kind: string): string {
  return CATALOGUES[locale.get()].gradeKind[kind] ?? kind;
}

/** Where a hand-in stands ("сдано с опозданием"). */
export function handInLabel(status: string): string {
  return CATALOGUES[locale.get()].handIn[status] ?? status;
}

/** ``count`` with its noun in the right plural form ("3 урока", "5 уроков"). */
export function plural(key: "lessons" | "minutesLate" | "files", count: number): string {
  const lang = locale.get();
  const forms = CATALOGUES[lang][key];
  const form = forms[new Intl.PluralRules(lang).select(count)] ?? forms.other;
  return form.replace("{n}", new Intl.NumberFormat(lang).format(count));
}

/** A day as "понедельник, 7 декабря". */
export function formatDay(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return new Intl.DateTimeFormat(locale.get(), { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(day);
}

/** A week as "7–13 декабря 2026 г.". */
export function formatWeek(monday: string, sunday: string): string {
  const at = (iso: string) => {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  };
  const format = new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  return format.formatRange(at(monday), at(sunday));
}

/** A bell time ("09:00") in the school's time zone. */
export function formatTime(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale.get(), { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(instant));
}

document.documentElement.lang = locale.get();
document.title = CATALOGUES[locale.get()].title;
