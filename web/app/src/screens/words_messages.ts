// The words of the communication screens (loaded with them, not in the first load), Russian and
// English like src/i18n.ts; dates, times, sizes and plurals by Intl in the chosen language.
import { locale } from "../i18n";

type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

const ru = {
  retry: "Повторить",
  error: "Не удалось загрузить",
  offlineNothing: "Нет сети, и этот раздел ещё не загружался.",
  offlineKept: "Нет сети: показано то, что было загружено.",
  attachments: "Файлы",
  attach: "Прикрепить файлы",
  filesOffline: "Нет сети: файлы сохранятся на этом устройстве и будут отправлены, когда появится сеть.",
  uploading: "Сохраняем…",
  uploadFailed: "Файл «{name}» не загрузился: {why}",
  fileNetwork: "нет сети",
  waiting: "Ждёт отправки",
  sending: "Отправляется…",
  refused: "Не отправлено",
  edit: "Исправить",
  discard: "Удалить черновик",
  send: "Отправить",
  earlier: "Раньше",
  more: "Ещё",
  remarksTitle: "Замечания учителей",
  remarksEmpty: "Замечаний за эти три месяца нет.",
  remarksRange: "С {from} по {to}",
  acknowledge: "Ознакомлен(а)",
  acknowledged: "Ознакомлен(а): {who}, {when}",
  notAcknowledged: "Ещё не просмотрено",
  absencesTitle: "Уведомления о пропусках",
  absencesEmpty: "Уведомлений о пропусках нет.",
  absenceNew: "Новое уведомление",
  from: "С",
  to: "По",
  reason: "Причина",
  note: "Справка от врача или другие документы (необязательно)",
  withdraw: "Отозвать",
  withdrawn: "Уведомление отозвано.",
  sentBy: "Отправил(а): {who}",
  absenceQueued: "Уведомление сохранено и будет отправлено, когда появится сеть.",
  chatsTitle: "Сообщения",
  chatsEmpty: "Переписок пока нет.",
  chatChoose: "Выберите переписку.",
  chatNoMessages: "Сообщений пока нет.",
  chatOlder: "Более ранние сообщения",
  chatMessage: "Сообщение",
  chatDeleted: "Сообщение удалено",
  chatEdited: "изменено",
  chatBack: "Все переписки",
  you: "Вы",
  announcementsTitle: "Объявления",
  announcementsEmpty: "Объявлений нет.",
  pinned: "Закреплено",
  wholeSchool: "Для всей школы",
  forClass: "Класс {name}",
  updated: "изменено {when}",
  meetingsTitle: "Родительские собрания",
  meetingsEmpty: "Собраний в ближайшие три месяца нет.",
  attending: "Приду",
  notAttending: "Не смогу прийти",
  answerComment: "Комментарий для организатора (необязательно)",
  answered: "Ваш ответ: {answer}",
  noAnswer: "Вы ещё не ответили.",
  cancelledMeeting: "Собрание отменено",
  place: "Место",
  onlineLink: "Ссылка на онлайн-встречу",
  organiser: "Организатор",
  classes: "Классы",
  unread: { one: "{n} непрочитанное", few: "{n} непрочитанных", many: "{n} непрочитанных", other: "{n} непрочитанного" } as Plural,
  days: { one: "{n} день", few: "{n} дня", many: "{n} дней", other: "{n} дня" } as Plural,
  kinds: { PRAISE: "Похвала", BEHAVIOUR: "Поведение", MISSING_WORK: "Нет домашней работы или материалов", OTHER: "Другое" } as Record<string, string>,
};

type Words = typeof ru;

const en: Words = {
  retry: "Try again",
  error: "Could not load",
  offlineNothing: "Offline, and this section has not been loaded before.",
  offlineKept: "Offline: showing what was loaded before.",
  attachments: "Files",
  attach: "Attach files",
  filesOffline: "Offline: the files are kept on this device and sent when the network is back.",
  uploading: "Saving…",
  uploadFailed: "“{name}” was not uploaded: {why}",
  fileNetwork: "no network",
  waiting: "Waiting to send",
  sending: "Sending…",
  refused: "Not sent",
  edit: "Fix it",
  discard: "Discard the draft",
  send: "Send",
  earlier: "Earlier",
  more: "More",
  remarksTitle: "Teachers' remarks",
  remarksEmpty: "No remarks in these three months.",
  remarksRange: "{from} to {to}",
  acknowledge: "Acknowledge",
  acknowledged: "Acknowledged by {who}, {when}",
  notAcknowledged: "Not acknowledged yet",
  absencesTitle: "Absence notices",
  absencesEmpty: "No absence notices.",
  absenceNew: "New notice",
  from: "From",
  to: "To",
  reason: "Reason",
  note: "A doctor's note or other papers (optional)",
  withdraw: "Withdraw",
  withdrawn: "The notice was withdrawn.",
  sentBy: "Sent by {who}",
  absenceQueued: "The notice is kept and will be sent when the network is back.",
  chatsTitle: "Messages",
  chatsEmpty: "No chats yet.",
  chatChoose: "Choose a chat.",
  chatNoMessages: "No messages yet.",
  chatOlder: "Earlier messages",
  chatMessage: "Message",
  chatDeleted: "Message deleted",
  chatEdited: "edited",
  chatBack: "All chats",
  you: "You",
  announcementsTitle: "Announcements",
  announcementsEmpty: "No announcements.",
  pinned: "Pinned",
  wholeSchool: "For the whole school",
  forClass: "Class {name}",
  updated: "changed {when}",
  meetingsTitle: "Parent-teacher meetings",
  meetingsEmpty: "No meetings in the next three months.",
  attending: "I will come",
  notAttending: "I can't come",
  answerComment: "A note for the organiser (optional)",
  answered: "Your answer: {answer}",
  noAnswer: "You have not answered yet.",
  cancelledMeeting: "The meeting is cancelled",
  place: "Place",
  onlineLink: "Online meeting link",
  organiser: "Organiser",
  classes: "Classes",
  unread: { one: "{n} unread", other: "{n} unread" },
  days: { one: "{n} day", other: "{n} days" },
  kinds: { PRAISE: "Praise", BEHAVIOUR: "Behaviour", MISSING_WORK: "Missing homework or materials", OTHER: "Other" },
};

const CATALOGUES = { ru, en };

type Simple = { [K in keyof Words]: Words[K] extends string ? K : never }[keyof Words];

/** The screen's word for ``key``, with ``{name}`` places filled. */
export function w(key: Simple, values: Record<string, string> = {}): string {
  return CATALOGUES[locale.get()][key].replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "");
}

export function remarkKind(kind: string): string {
  return CATALOGUES[locale.get()].kinds[kind] ?? kind;
}

export function count(key: "unread" | "days", n: number): string {
  const lang = locale.get();
  const forms = CATALOGUES[lang][key];
  return (forms[new Intl.PluralRules(lang).select(n)] ?? forms.other).replace("{n}", new Intl.NumberFormat(lang).format(n));
}

/** "7 декабря 2026 г." for a Date (YYYY-MM-DD). */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** "7 декабря, 09:30" for an instant, in the school's time zone. */
export function formatMoment(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(instant));
}

/** "1,2 МБ" */
export function formatSize(bytes: number): string {
  const lang = locale.get();
  const [value, unit] = bytes >= 1_048_576 ? [bytes / 1_048_576, "megabyte"] : bytes >= 1024 ? [bytes / 1024, "kilobyte"] : [bytes, "byte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}
