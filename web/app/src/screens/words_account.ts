// The words of the account screens (sign-in help, inbox, preferences, sessions), in both
// languages like src/i18n.ts, which they follow (`locale`): kept beside the screens so that the
// screens loaded on demand bring their own words.
import { locale } from "../i18n";

const ru = {
  forgot: "Забыли пароль?",
  recoveryTitle: "Восстановление пароля",
  recoveryHint: "Укажите логин, адрес почты или телефон: пришлём ссылку по почте или код по SMS.",
  recoveryWho: "Логин, почта или телефон",
  byEmail: "Ссылка по почте",
  bySms: "Код по SMS",
  recoverySend: "Отправить",
  recoverySent: "Если такая учётная запись есть, мы отправили ей ссылку. Она действует 30 минут.",
  recoverySentSms: "Если такая учётная запись есть, мы отправили код по SMS.",
  smsCode: "Код из SMS",
  newPassword: "Новый пароль",
  newPasswordAgain: "Новый пароль ещё раз",
  newPasswordHint: "Не короче 10 символов и без логина.",
  passwordsDiffer: "Пароли не совпадают.",
  setPassword: "Сохранить пароль",
  passwordSet: "Пароль изменён, все сеансы завершены. Войдите с новым паролем.",
  toSignIn: "Ко входу",
  orProvider: "или",
  signInWith: "Войти через {name}",
  completing: "Завершаем вход…",
  inbox: "Уведомления",
  inboxUnread: "Уведомления, непрочитанных: {n}",
  unreadOnly: "Только непрочитанные",
  markRead: "Прочитано",
  markAllRead: "Отметить все прочитанными",
  nothingNew: "Уведомлений нет.",
  more: "Показать ещё",
  unread: "не прочитано",
  preferences: "Настройки уведомлений",
  category: "Категория",
  inApp: "В приложении",
  email: "Почта",
  sms: "SMS",
  push: "Push",
  quietHours: "Тихие часы (без почты, SMS и push)",
  quietFrom: "С",
  quietTo: "До",
  reminderHour: "Час напоминаний о контрольных (накануне)",
  phone: "Телефон для SMS",
  save: "Сохранить",
  saved: "Сохранено.",
  sessions: "Сеансы",
  sessionsHint: "Устройства, на которых выполнен вход. Завершите сеанс, если устройство потеряно.",
  thisDevice: "Это устройство",
  unknownDevice: "Неизвестное устройство",
  signedInAt: "вход",
  lastSeen: "активность",
  revoke: "Завершить сеанс",
  revoked: "Сеанс завершён.",
  diary: "Дневник",
  account: "Учётная запись",
  screenOffline: "Нет сети, и этот экран ещё не загружался.",
  categories: {
    GRADES: "Оценки",
    ABSENCES: "Пропуски и опоздания",
    HOMEWORK: "Домашние задания",
    REMARKS: "Замечания",
    ANNOUNCEMENTS: "Объявления",
    MEETINGS: "Собрания",
    CHAT_MESSAGES: "Сообщения",
    ASSESSMENTS: "Контрольные",
  } as Record<string, string>,
  kinds: {
    GRADE_ADDED: "Новая оценка",
    GRADE_CHANGED: "Оценка исправлена",
    TERM_GRADE_SET: "Итоговая оценка",
    ATTENDANCE_MARKED: "Пропуск или опоздание",
    HOMEWORK_ASSIGNED: "Домашнее задание",
    REMARK_ADDED: "Замечание учителя",
    ANNOUNCEMENT_PUBLISHED: "Объявление",
    MEETING_INVITED: "Приглашение на собрание",
    MEETING_CHANGED: "Собрание изменено",
    MEETING_CANCELLED: "Собрание отменено",
    CHAT_MESSAGE: "Новое сообщение",
    SUBMISSION_RETURNED: "Работа возвращена",
    ASSESSMENT_REMINDER: "Завтра контрольная",
  } as Record<string, string>,
};

type Words = typeof ru;

const en: Words = {
  forgot: "Forgot your password?",
  recoveryTitle: "Password recovery",
  recoveryHint: "Your login, e-mail address or phone: we send a link by e-mail or a code by SMS.",
  recoveryWho: "Login, e-mail or phone",
  byEmail: "A link by e-mail",
  bySms: "A code by SMS",
  recoverySend: "Send",
  recoverySent: "If the account exists, a link is on its way to it. It works for 30 minutes.",
  recoverySentSms: "If the account exists, a code is on its way by SMS.",
  smsCode: "The code from the SMS",
  newPassword: "New password",
  newPasswordAgain: "The new password again",
  newPasswordHint: "At least 10 characters, without your login.",
  passwordsDiffer: "The passwords differ.",
  setPassword: "Save the password",
  passwordSet: "Your password is changed and every session has ended. Sign in with the new password.",
  toSignIn: "To sign in",
  orProvider: "or",
  signInWith: "Sign in with {name}",
  completing: "Completing the sign-in…",
  inbox: "Notifications",
  inboxUnread: "Notifications, {n} unread",
  unreadOnly: "Unread only",
  markRead: "Mark read",
  markAllRead: "Mark all read",
  nothingNew: "No notifications.",
  more: "Show more",
  unread: "unread",
  preferences: "Notification settings",
  category: "Category",
  inApp: "In the app",
  email: "E-mail",
  sms: "SMS",
  push: "Push",
  quietHours: "Quiet hours (no e-mail, SMS or push)",
  quietFrom: "From",
  quietTo: "To",
  reminderHour: "Hour of assessment reminders (the day before)",
  phone: "Phone for SMS",
  save: "Save",
  saved: "Saved.",
  sessions: "Sessions",
  sessionsHint: "The devices signed in to your account. End a session if a device is lost.",
  thisDevice: "This device",
  unknownDevice: "Unknown device",
  signedInAt: "signed in",
  lastSeen: "last active",
  revoke: "End the session",
  revoked: "The session has ended.",
  diary: "Diary",
  account: "Account",
  screenOffline: "Offline, and this screen has not been loaded before.",
  categories: {
    GRADES: "Grades",
    ABSENCES: "Absences and late arrivals",
    HOMEWORK: "Homework",
    REMARKS: "Remarks",
    ANNOUNCEMENTS: "Announcements",
    MEETINGS: "Meetings",
    CHAT_MESSAGES: "Messages",
    ASSESSMENTS: "Assessments",
  },
  kinds: {
    GRADE_ADDED: "New grade",
    GRADE_CHANGED: "Grade corrected",
    TERM_GRADE_SET: "Final grade",
    ATTENDANCE_MARKED: "Absent or late",
    HOMEWORK_ASSIGNED: "Homework",
    REMARK_ADDED: "A teacher's remark",
    ANNOUNCEMENT_PUBLISHED: "Announcement",
    MEETING_INVITED: "Invited to a meeting",
    MEETING_CHANGED: "Meeting changed",
    MEETING_CANCELLED: "Meeting cancelled",
    CHAT_MESSAGE: "New message",
    SUBMISSION_RETURNED: "Work returned",
    ASSESSMENT_REMINDER: "An assessment tomorrow",
  },
};

const WORDS: Record<"ru" | "en", Words> = { ru, en };
type Simple = { [K in keyof Words]: Words[K] extends string ? K : never }[keyof Words];

/** The word for ``key`` in the current language, ``{name}`` placeholders filled in. */
export function w(key: Simple, values: Record<string, string | number> = {}): string {
  const lang = locale.get();
  return WORDS[lang][key].replace(/\{(\w+)\}/g, (_, name: string) =>
    typeof values[name] === "number" ? new Intl.NumberFormat(lang).format(values[name]) : String(values[name] ?? ""),
  );
}

export function categoryName(category: string): string {
  return WORDS[locale.get()].categories[category] ?? category;
}

export function kindName(kind: string): string {
  return WORDS[locale.get()].kinds[kind] ?? kind;
}

/** A moment as "7 декабря, 09:15" in the reader's zone. */
export function formatMoment(instant: string): string {
  return new Intl.DateTimeFormat(locale.get(), { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }).format(new Date(instant));
}
