"""The one catalogue of error codes: every ``extensions.code`` of a GraphQL error or an HTTP
refusal, and every ``code`` of an ``Error`` result (``FieldError``, ``FileProblem``) is a member
of ``ErrorCode``. Code raises members (``ErrorCode.STUDENT_NOT_FOUND``), never string literals
(``tests/api/test_error_codes.py`` walks the code to make sure). Each member carries a one-line
meaning: the schema's ``enum ErrorCode`` describes its values with them and ``docs/errors.md``
is generated from them (``make schema``).

Codes never change with the client's language; the messages beside them do."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A stable code for programs. The value is the member's name."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # Requests and operations (GraphQL errors' `extensions.code`, HTTP refusals).
    BAD_REQUEST = (
        "BAD_REQUEST",
        (
            "The HTTP request is malformed or not acceptable: not JSON, a wrong method (405), media type (415) or "
            "Accept (406), no operation to run."
        ),
    )
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE", "The request body (413) or GET query string (414) is over the limit."
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED", "The document is not valid GraphQL syntax; nothing ran."
    GRAPHQL_VALIDATION_FAILED = (
        "GRAPHQL_VALIDATION_FAILED",
        "The document does not validate against the schema (unknown field, wrong argument...); nothing ran.",
    )
    BAD_USER_INPUT = (
        "BAD_USER_INPUT",
        "A variable or argument value is refused (wrong type, bad ID, date out of range, unknown cursor).",
    )
    QUERY_TOO_COMPLEX = (
        "QUERY_TOO_COMPLEX",
        "The document is over a limit (depth, aliases, tokens or cost); `extensions` names the rule and limit.",
    )
    PERSISTED_QUERY_NOT_FOUND = (
        "PERSISTED_QUERY_NOT_FOUND",
        "The server does not know this persisted query's hash: send it again with `query`.",
    )
    PERSISTED_QUERY_HASH_MISMATCH = (
        "PERSISTED_QUERY_HASH_MISMATCH",
        "The persisted query's hash is not that of `query`.",
    )
    PERSISTED_QUERY_REQUIRED = (
        "PERSISTED_QUERY_REQUIRED",
        "The server runs only the trusted documents its clients ship; this one is not among them.",
    )
    UNAUTHENTICATED = (
        "UNAUTHENTICATED",
        "No valid access token (or its session ended: `extensions.reason`); log in or refresh the token.",
    )
    FORBIDDEN = "FORBIDDEN", "The viewer's roles do not allow this field or operation."
    RATE_LIMITED = (
        "RATE_LIMITED",
        "Too many requests or attempts; wait the time given (`Retry-After`, `retryAfterSeconds`).",
    )
    INTERNAL_SERVER_ERROR = (
        "INTERNAL_SERVER_ERROR",
        "An unexpected failure, or the database or a live stream unavailable (`extensions.retryable`).",
    )

    # Refusals reported as data (`Error.code`, `FieldError.code`, `FileProblem.code`).
    ACADEMIC_YEAR_NOT_FOUND = "ACADEMIC_YEAR_NOT_FOUND", "No such academic year, or not one the viewer may see."
    ACCESS_REQUEST_NOT_FOUND = "ACCESS_REQUEST_NOT_FOUND", "No such access request, or not one the viewer may see."
    ACCOUNT_DEACTIVATED = "ACCOUNT_DEACTIVATED", "The account is deactivated."
    AGENDA_TOO_LONG = "AGENDA_TOO_LONG", "A meeting's agenda is over the length limit."
    ALREADY_DEACTIVATED = "ALREADY_DEACTIVATED", "The account is already deactivated."
    ALREADY_ENROLLED = "ALREADY_ENROLLED", "The student is already in a class on or after that day: transfer instead."
    ALREADY_IN_GROUP = "ALREADY_IN_GROUP", "The student is already in the group on or after that day."
    ALREADY_GUARDIAN = "ALREADY_GUARDIAN", "The person is already this child's guardian."
    ALREADY_PENDING = "ALREADY_PENDING", "The delivery is already waiting to be sent."
    ALREADY_REVOKED = "ALREADY_REVOKED", "The guardianship is already revoked."
    ALREADY_SENT = "ALREADY_SENT", "The delivery was already sent."
    ALREADY_SHORT = "ALREADY_SHORT", "The day is already a short day."
    AMBIGUOUS_STUDENT = "AMBIGUOUS_STUDENT", "Several students match: name one by its id."
    ANNOUNCEMENT_NOT_FOUND = "ANNOUNCEMENT_NOT_FOUND", "No such announcement, or not one the viewer may see."
    ASSESSMENT_KIND_INVALID = (
        "ASSESSMENT_KIND_INVALID",
        "Not a kind of assessment that is announced (a quiz, test, dictation, control work...).",
    )
    ASSESSMENT_NOT_FOUND = (
        "ASSESSMENT_NOT_FOUND",
        "No planned assessment for that lesson, or not one the viewer may see.",
    )
    ASSIGNED_IN_AFTER_DUE = "ASSIGNED_IN_AFTER_DUE", "Homework must be set in a lesson before the one it is due for."
    ASSIGNED_IN_MISMATCH = "ASSIGNED_IN_MISMATCH", "Homework was set in a lesson of another class or subject."
    ASSIGNMENT_EXISTS = "ASSIGNMENT_EXISTS", "The teacher already teaches that subject in that class."
    ASSIGNMENT_IN_TIMETABLE = "ASSIGNMENT_IN_TIMETABLE", "The timetable still uses this teaching assignment."
    ASSIGNMENT_NOT_FOUND = "ASSIGNMENT_NOT_FOUND", "No such teaching assignment, or not one the viewer may see."
    BIRTH_DATE_REQUIRED = "BIRTH_DATE_REQUIRED", "A birth date is required."
    BODY_EMPTY = "BODY_EMPTY", "The text is empty."
    BODY_TOO_LONG = "BODY_TOO_LONG", "The text is over the length limit."
    CANCELLED = "CANCELLED", "The meeting is cancelled."
    CANCELLED_BY_DAY_OFF = "CANCELLED_BY_DAY_OFF", "A holiday or vacation cancelled the lesson: change the day off."
    CANNOT_DEACTIVATE_SELF = "CANNOT_DEACTIVATE_SELF", "An admin cannot deactivate their own account."
    CANNOT_RESET_SELF = (
        "CANNOT_RESET_SELF",
        "An admin cannot reset their own password or second factor (use `passwordChange`, `secondFactorDisable`).",
    )
    CELL_TOO_LONG = "CELL_TOO_LONG", "A cell of the file is over the length limit."
    CERTIFICATE_REQUIRED = "CERTIFICATE_REQUIRED", "The child's birth certificate number is required."
    CERTIFICATE_TOO_LONG = "CERTIFICATE_TOO_LONG", "The birth certificate number is over the length limit."
    CHAT_NOT_FOUND = "CHAT_NOT_FOUND", "No such chat, or not one the viewer is in."
    CHILDREN_ONLY_FOR_PARENTS = "CHILDREN_ONLY_FOR_PARENTS", "Only a parent account has children."
    CLASSES_EMPTY = "CLASSES_EMPTY", "Name at least one class."
    CLASSES_OF_SEVERAL_SCHOOLS = "CLASSES_OF_SEVERAL_SCHOOLS", "The classes named belong to more than one school."
    CLASS_BUSY = "CLASS_BUSY", "The class already has a lesson at that time."
    CLASS_EXISTS = "CLASS_EXISTS", "The academic year already has a class of that name."
    CLASS_NOT_FOUND = "CLASS_NOT_FOUND", "No such class, or not one the viewer may see."
    CLASS_NOT_IN_SCHOOL = "CLASS_NOT_IN_SCHOOL", "The class is not one of the school's."
    CLASS_OF_OTHER_SCHOOL = "CLASS_OF_OTHER_SCHOOL", "The class is not of the student's school."
    CLASS_UNKNOWN = "CLASS_UNKNOWN", "No class of that name in the school's current academic year."
    COMMENT_REQUIRED = "COMMENT_REQUIRED", "A comment is required."
    COMMENT_TOO_LONG = "COMMENT_TOO_LONG", "The comment is over the length limit."
    CONFLICTING_ROW = "CONFLICTING_ROW", "A row contradicts an earlier row of the file."
    CONSENT_REQUIRED = "CONSENT_REQUIRED", "Consent to process the data is required."
    CSV_EMPTY = "CSV_EMPTY", "The file is empty."
    CSV_MALFORMED = "CSV_MALFORMED", "The file is not valid CSV."
    CSV_TOO_LARGE = "CSV_TOO_LARGE", "The file has too many bytes or rows."
    DATE_BEFORE_ENROLLMENT = "DATE_BEFORE_ENROLLMENT", "The date is before the current enrolment started."
    DATE_INVALID = "DATE_INVALID", "The date is not a valid or plausible one."
    DAY_OFF_NOT_FOUND = "DAY_OFF_NOT_FOUND", "No such day off, or not one the viewer may see."
    DEACTIVATED_BY_SCHOOL = "DEACTIVATED_BY_SCHOOL", "The school deactivated the login: only the school reactivates it."
    DELETE_WINDOW_CLOSED = "DELETE_WINDOW_CLOSED", "The message is too old to be deleted by its author."
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND", "No such notification delivery, or not one the viewer may see."
    DISTRICT_NOT_FOUND = "DISTRICT_NOT_FOUND", "No such district, or not one the viewer may see."
    DOCUMENT_REQUIRED = "DOCUMENT_REQUIRED", "The applicant's identity document is required."
    DOCUMENT_TOO_LONG = "DOCUMENT_TOO_LONG", "The identity document is over the length limit."
    DUPLICATE_CATEGORY = "DUPLICATE_CATEGORY", "A notification category is listed more than once."
    DUPLICATE_LESSON = "DUPLICATE_LESSON", "A lesson is listed more than once."
    DUPLICATE_REQUEST = "DUPLICATE_REQUEST", "The applicant already has a pending request for this child there."
    DUPLICATE_ROW = "DUPLICATE_ROW", "A row repeats an earlier row of the file."
    DUPLICATE_STUDENT = "DUPLICATE_STUDENT", "A student is listed more than once."
    EDIT_WINDOW_CLOSED = "EDIT_WINDOW_CLOSED", "The message is too old to be edited."
    EMAIL_INVALID = "EMAIL_INVALID", "Not an e-mail address."
    ENDS_BEFORE_START = "ENDS_BEFORE_START", "The end is not after the start."
    EXTERNAL_ID_REQUIRED = "EXTERNAL_ID_REQUIRED", "A student row needs the school's external id."
    EXTERNAL_LOGIN_INVALID = (
        "EXTERNAL_LOGIN_INVALID",
        "The external login's `state` is unknown, already used or expired: start the login again.",
    )
    FILE_EMPTY = "FILE_EMPTY", "The uploaded file has no content."
    FILE_NAME_INVALID = "FILE_NAME_INVALID", "A file name is empty, too long or has characters a file name cannot have."
    FILE_NOT_FOUND = (
        "FILE_NOT_FOUND",
        "No such upload of yours waiting to be attached (never started, not uploaded yet, expired, attached already, "
        "or someone else's).",
    )
    FILE_TOO_LARGE = "FILE_TOO_LARGE", "The file is over the size limit."
    FILE_TYPE_NOT_ALLOWED = (
        "FILE_TYPE_NOT_ALLOWED",
        "The file's content is not an allowed type (PDF, PNG, JPEG, WebP, HEIC, DOCX, XLSX, plain text).",
    )
    FORMULA_NOT_ALLOWED = "FORMULA_NOT_ALLOWED", "A cell may not start with a spreadsheet formula character."
    FULL_NAME_EMPTY = "FULL_NAME_EMPTY", "The full name is empty."
    FULL_NAME_REQUIRED = "FULL_NAME_REQUIRED", "A full name is required."
    FULL_NAME_TOO_LONG = "FULL_NAME_TOO_LONG", "The full name is over the length limit."
    GROUP_CLASSES_MIXED = (
        "GROUP_CLASSES_MIXED",
        "A group's classes must be parallel classes: one school, one academic year, one grade level.",
    )
    GROUP_ENDED = "GROUP_ENDED", "The group has ended on or before that day: it takes no members and no changes."
    GROUP_NOT_FOUND = "GROUP_NOT_FOUND", "No such class group, or not one the viewer may see."
    GROUPS_SAME = "GROUPS_SAME", "The student would move from a group to the same group."
    GRADES_IN_TERM = "GRADES_IN_TERM", "Grades were given during the term: its dates can no longer change so."
    GRADE_CHANGED_MEANWHILE = "GRADE_CHANGED_MEANWHILE", "Someone changed the grade meanwhile: reload it."
    GRADE_NOT_FOUND = "GRADE_NOT_FOUND", "No such grade, or not one the viewer may see."
    GRADE_REMOVED = "GRADE_REMOVED", "The grade was removed; give a new one instead."
    GUARDIANSHIP_NOT_FOUND = "GUARDIANSHIP_NOT_FOUND", "No such guardianship, or not one the viewer may see."
    HEADER_DUPLICATE_COLUMN = "HEADER_DUPLICATE_COLUMN", "A column appears twice in the file's header."
    HEADER_MISSING = "HEADER_MISSING", "The file's first line does not name the columns."
    HEADER_MISSING_COLUMN = "HEADER_MISSING_COLUMN", "A required column is missing from the header."
    HEADER_UNKNOWN_COLUMN = "HEADER_UNKNOWN_COLUMN", "The header names an unknown column."
    HOMEWORK_NOT_FOUND = "HOMEWORK_NOT_FOUND", "No such homework, or not one the viewer may see."
    HOURS_INVALID = "HOURS_INVALID", "Hours are a whole number from 1 to 50."
    HOUR_INVALID = "HOUR_INVALID", "An hour of the day is from 0 to 23."
    IDENTITY_NOT_FOUND = "IDENTITY_NOT_FOUND", "No such linked identity, or not one of the viewer's."
    IDENTITY_NOT_LINKED = (
        "IDENTITY_NOT_LINKED",
        "No account is linked to this external identity: link it first, or start with `createAccount`.",
    )
    IDENTITY_PROVIDER_ERROR = (
        "IDENTITY_PROVIDER_ERROR",
        "The identity provider refused the login (the user cancelled, a bad code) or could not be reached.",
    )
    IDENTITY_PROVIDER_UNKNOWN = "IDENTITY_PROVIDER_UNKNOWN", "No identity provider of that name is configured."
    IDENTITY_TAKEN = "IDENTITY_TAKEN", "This external identity is already linked to an account."
    IDS_OR_ALL = "IDS_OR_ALL", "Give the ids, or `all: true`, not both nor neither."
    ID_TOKEN_INVALID = (
        "ID_TOKEN_INVALID",
        "The provider's id token failed a check: signature (JWKS), issuer, audience, nonce or expiry.",
    )
    IMPORT_CONFLICT = "IMPORT_CONFLICT", "The school's accounts changed during the import: import the file again."
    INVALID_BIRTH_DATE = "INVALID_BIRTH_DATE", "The birth date is not plausible (in the future, or a century ago)."
    INVALID_CHARACTERS = "INVALID_CHARACTERS", "The text holds characters that cannot be stored (control characters)."
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS", "Wrong login or password."
    INVALID_EMAIL = "INVALID_EMAIL", "Not an e-mail address."
    INVALID_GRADE_LEVEL = "INVALID_GRADE_LEVEL", "The grade level is out of range."
    INVALID_INPUT = "INVALID_INPUT", "The input is incomplete or inconsistent (see `fields`)."
    INVALID_LATE_MINUTES = "INVALID_LATE_MINUTES", "The minutes late are out of range."
    INVALID_LINK = "INVALID_LINK", "Not an absolute http(s) address, or too long."
    INVALID_LOGIN = "INVALID_LOGIN", "This login cannot be used (malformed or unavailable)."
    INVALID_MARKS = "INVALID_MARKS", "The grade scale's marks are not a valid list."
    INVALID_PASS_MARK = "INVALID_PASS_MARK", "The pass mark is outside the scale."
    INVALID_PHONE = "INVALID_PHONE", "Not a phone number in international form."
    INVALID_RANGE = "INVALID_RANGE", "The range's end is before its start, or it lies outside the allowed dates."
    INVALID_RECOVERY = (
        "INVALID_RECOVERY",
        "The password recovery link or code is wrong, expired, used or replaced by a newer one: ask for a new one.",
    )
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN", "The refresh token is invalid, expired or revoked: log in again."
    INVALID_ROUNDING_THRESHOLD = "INVALID_ROUNDING_THRESHOLD", "The rounding threshold is not above 0 and at most 1."
    INVALID_SCALE_RANGE = "INVALID_SCALE_RANGE", "The numeric scale's bounds are out of range."
    INVALID_TIMEZONE = "INVALID_TIMEZONE", "Not an IANA time zone."
    INVALID_VALUE = "INVALID_VALUE", "The grade is not a mark of the school's scale."
    INVALID_WEIGHT = "INVALID_WEIGHT", "The weight is out of range."
    IN_THE_PAST = "IN_THE_PAST", "The date or time has passed."
    LAST_ADMIN = "LAST_ADMIN", "The chat's last admin must hand it over first."
    LAST_WAY_IN = (
        "LAST_WAY_IN",
        "Unlinking it would leave the account without a password or another identity to log in with.",
    )
    LATER_ENROLLMENT = "LATER_ENROLLMENT", "The student already has an enrolment after that day."
    LATE_MINUTES_NOT_LATE = "LATE_MINUTES_NOT_LATE", "Only a LATE mark has minutes late."
    LESSONS_NOT_EXPECTED = "LESSONS_NOT_EXPECTED", "A notice by day takes no lessons."
    LESSONS_REQUIRED = "LESSONS_REQUIRED", "At least one lesson is required."
    LESSON_ALREADY_CANCELLED = "LESSON_ALREADY_CANCELLED", "The lesson is already cancelled."
    LESSON_CANCELLED = "LESSON_CANCELLED", "The lesson was cancelled."
    LESSON_HAS_RECORDS = "LESSON_HAS_RECORDS", "The lesson has grades or attendance marks: it took place."
    LESSON_IN_FUTURE = "LESSON_IN_FUTURE", "The lesson has not started yet."
    LESSON_MISMATCH = "LESSON_MISMATCH", "The lesson is not of the same class and subject."
    LESSON_NOT_CANCELLED = "LESSON_NOT_CANCELLED", "The lesson is not cancelled."
    LESSON_NOT_FOUND = "LESSON_NOT_FOUND", "No such lesson, or not one the viewer may see."
    LESSON_NOT_IN_CLASS = "LESSON_NOT_IN_CLASS", "The lesson is not one of the student's class."
    LESSON_STARTED = "LESSON_STARTED", "The lesson has already started."
    LETTER_EMPTY = "LETTER_EMPTY", "The class letter is empty."
    LETTER_TOO_LONG = "LETTER_TOO_LONG", "The class letter is over the length limit."
    LINK_TOO_LONG = "LINK_TOO_LONG", "A link is over the length limit."
    LOGIN_CHALLENGE_INVALID = (
        "LOGIN_CHALLENGE_INVALID",
        "The second-factor challenge is unknown, expired or used: log in with the password again.",
    )
    LOGIN_INVALID = "LOGIN_INVALID", "Not a valid login."
    LOGIN_ISSUED_BY_SCHOOL = "LOGIN_ISSUED_BY_SCHOOL", "The child's login was issued by the school: the school runs it."
    LOGIN_REQUIRED = "LOGIN_REQUIRED", "A login or e-mail address is required."
    LOGIN_TAKEN = "LOGIN_TAKEN", "The login belongs to another account."
    MEETING_NOT_FOUND = "MEETING_NOT_FOUND", "No such meeting, or not one the viewer may see."
    MEMBERS_EMPTY = "MEMBERS_EMPTY", "A chat needs at least one member besides its creator."
    MEMBER_NOT_FOUND = "MEMBER_NOT_FOUND", "No such chat member, or not a person the viewer can reach."
    MESSAGE_DELETED = "MESSAGE_DELETED", "The message was deleted."
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND", "No such message, or not one the viewer may see."
    NAME_EMPTY = "NAME_EMPTY", "The name is empty."
    NAME_REQUIRED = "NAME_REQUIRED", "A name is required."
    NAME_TAKEN = "NAME_TAKEN", "Another object of the same parent already has that name."
    NAME_TOO_LONG = "NAME_TOO_LONG", "The name is over the length limit."
    NOTHING_TO_CHANGE = "NOTHING_TO_CHANGE", "The input changes nothing."
    NOTICE_IN_PAST = "NOTICE_IN_PAST", "Days that have passed cannot be withdrawn from a notice."
    NOTICE_NOT_FOUND = "NOTICE_NOT_FOUND", "No such absence notice, or not one the viewer may see."
    NOTICE_OVERLAPS = "NOTICE_OVERLAPS", "Another absence notice already covers that day or lesson."
    NOTICE_TOO_OLD = "NOTICE_TOO_OLD", "An absence notice reaches too far back."
    NOTIFICATION_NOT_FOUND = "NOTIFICATION_NOT_FOUND", "No such notification, or not one the viewer may see."
    NOT_ALLOWED = "NOT_ALLOWED", "The viewer may not post or invite here."
    NOT_ASSIGNED = "NOT_ASSIGNED", "The teacher does not teach this class and subject (or lesson)."
    NOT_AUTHOR = "NOT_AUTHOR", "Only the message's author may do that."
    NOT_A_TEACHER = "NOT_A_TEACHER", "The person is not a teacher of the school."
    NOT_CHAT_ADMIN = "NOT_CHAT_ADMIN", "Only the chat's admins may do that."
    NOT_DEACTIVATED = "NOT_DEACTIVATED", "The account is active."
    NOT_ENROLLED = "NOT_ENROLLED", "The student is in no class on that day."
    NOT_IN_GROUP = "NOT_IN_GROUP", "The student is not in that group on that day (or joined it that day or later)."
    NOT_IN_GROUP_CLASSES = (
        "NOT_IN_GROUP_CLASSES",
        "The student is not enrolled, on that day, in any of the group's classes.",
    )
    NOT_PENDING = "NOT_PENDING", "The request was already decided or withdrawn."
    NOT_REVOKED = "NOT_REVOKED", "The guardianship stands: there is nothing to restore."
    NO_CLASSES = "NO_CLASSES", "At least one class is required."
    NO_DAYS = "NO_DAYS", "The notice covers none of the chosen days."
    NO_GRADES = "NO_GRADES", "At least one grade is required."
    NO_MARKS = "NO_MARKS", "At least one student must be marked."
    NO_MATCHING_STUDENT = "NO_MATCHING_STUDENT", "No student of the school has that name and birth date."
    NO_PERIODS = "NO_PERIODS", "A bell schedule needs at least one period."
    NO_SHORTENED_SCHEDULE = "NO_SHORTENED_SCHEDULE", "The school has no SHORTENED bell schedule yet."
    OUTSIDE_ACADEMIC_YEAR = "OUTSIDE_ACADEMIC_YEAR", "The date lies outside the academic year."
    OVER = "OVER", "The meeting is over."
    OVERLAPS_PREVIOUS = "OVERLAPS_PREVIOUS", "A period starts before the previous one ends."
    PASSWORD_IS_LOGIN = "PASSWORD_IS_LOGIN", "The password contains or equals the login."
    PASSWORD_IS_ONE_TIME = "PASSWORD_IS_ONE_TIME", "A one-time password must be replaced by a new one."
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG", "The password is over the length limit."
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT", "The password is under the minimum length."
    PASSWORD_UNCHANGED = "PASSWORD_UNCHANGED", "The new password is the current one."
    PERIOD_IN_USE = "PERIOD_IN_USE", "The timetable has lessons in a period the new schedule drops."
    PERIOD_NOT_IN_BELL_SCHEDULE = "PERIOD_NOT_IN_BELL_SCHEDULE", "The school's bell schedule has no such period."
    PHONE_REQUIRED = "PHONE_REQUIRED", "SMS needs a phone number."
    PLACE_OR_LINK_REQUIRED = "PLACE_OR_LINK_REQUIRED", "A meeting needs a place or a link."
    PLACE_TOO_LONG = "PLACE_TOO_LONG", "The place is over the length limit."
    PLAN_EMPTY = "PLAN_EMPTY", "The thematic plan has no topics."
    PUSH_DEVICE_NOT_FOUND = "PUSH_DEVICE_NOT_FOUND", "Not one of your push devices (of a live session)."
    PUSH_ENDPOINT_INVALID = "PUSH_ENDPOINT_INVALID", "A Web Push endpoint is an https:// address of a push service."
    PUSH_KEY_INVALID = "PUSH_KEY_INVALID", "A Web Push key is not a base64url key of the right length."
    PUSH_TOKEN_INVALID = "PUSH_TOKEN_INVALID", "An FCM or APNs token is missing or malformed."
    PUSH_UNAVAILABLE = "PUSH_UNAVAILABLE", "This server does not send this kind of push (not configured)."
    QUIET_HOURS_INCOMPLETE = "QUIET_HOURS_INCOMPLETE", "Quiet hours need both ends, or neither."
    RANGE_NOT_EXPECTED = "RANGE_NOT_EXPECTED", "A notice for lessons takes no dates."
    RANGE_REQUIRED = "RANGE_REQUIRED", "A notice by day needs `from` and `to`."
    RANGE_TOO_LONG = "RANGE_TOO_LONG", "The range covers too many days."
    REASON_EMPTY = "REASON_EMPTY", "The reason is empty."
    REASON_REQUIRED = "REASON_REQUIRED", "A reason is required."
    REASON_TOO_LONG = "REASON_TOO_LONG", "The reason is over the length limit."
    REDIRECT_URI_NOT_ALLOWED = (
        "REDIRECT_URI_NOT_ALLOWED",
        "The redirect URI is not one of those registered for the provider.",
    )
    REGISTER_CHANGED = "REGISTER_CHANGED", "The attendance register changed meanwhile: reload it."
    REMARK_NOT_FOUND = "REMARK_NOT_FOUND", "No such remark, or not one the viewer may see."
    ROLE_NOT_ALLOWED = "ROLE_NOT_ALLOWED", "The role cannot be given here."
    ROOM_TAKEN = "ROOM_TAKEN", "Another class has a lesson in that room at that time."
    ROOM_TOO_LONG = "ROOM_TOO_LONG", "The room is over the length limit."
    ROW_WIDTH = "ROW_WIDTH", "A row has a different number of cells from the header."
    SAME_CLASS = "SAME_CLASS", "The student is already in that class."
    SCALE_IN_USE = "SCALE_IN_USE", "The school has grades on its scale: its marks can no longer change."
    SCHOOL_NOT_FOUND = "SCHOOL_NOT_FOUND", "No such school, or not one the viewer may see."
    SCHOOL_REQUIRED = "SCHOOL_REQUIRED", "Name the school: the viewer belongs to several schools, or none."
    SECOND_FACTOR_ALREADY_ON = "SECOND_FACTOR_ALREADY_ON", "Two-factor login is already on for the account."
    SECOND_FACTOR_CODE_WRONG = (
        "SECOND_FACTOR_CODE_WRONG",
        "The code is not a current authenticator code (or was used already) nor an unused recovery code.",
    )
    SECOND_FACTOR_NOT_ENROLLED = (
        "SECOND_FACTOR_NOT_ENROLLED",
        "No authenticator is waiting for confirmation: start with `secondFactorEnroll`.",
    )
    SECOND_FACTOR_NOT_ON = "SECOND_FACTOR_NOT_ON", "Two-factor login is not on for the account."
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND", "No such session, or not one of the viewer's."
    SHORT_DAY_NOT_FOUND = "SHORT_DAY_NOT_FOUND", "No such short day, or not one the viewer may see."
    SLOT_NOT_FOUND = "SLOT_NOT_FOUND", "No such timetable slot, or not one the viewer may see."
    STUDENT_HAS_LOGIN = "STUDENT_HAS_LOGIN", "The student already has a login."
    STUDENT_HAS_NO_LOGIN = "STUDENT_HAS_NO_LOGIN", "The student has no login of their own yet."
    STUDENT_NOT_FOUND = "STUDENT_NOT_FOUND", "No such student, or not one the viewer may see."
    STUDENT_NOT_IN_CLASS = "STUDENT_NOT_IN_CLASS", "The student was not in the lesson's class on its date."
    STUDENT_NOT_IN_SCHOOL = "STUDENT_NOT_IN_SCHOOL", "The student is not of the school named."
    STUDENT_REQUIRED = "STUDENT_REQUIRED", "The student is required."
    STUDENT_UNKNOWN = "STUDENT_UNKNOWN", "No student with that external id in the file or the school's roster."
    SUBMISSION_CHANGED_MEANWHILE = (
        "SUBMISSION_CHANGED_MEANWHILE",
        "The student handed the work in again meanwhile: reload it before returning or grading.",
    )
    SUBMISSION_EMPTY = "SUBMISSION_EMPTY", "Hand-in work has neither text nor files."
    SUBMISSION_GRADED = "SUBMISSION_GRADED", "The work was graded: it takes no more hand-ins, returns or grades."
    SUBMISSION_NOT_FOUND = "SUBMISSION_NOT_FOUND", "No such hand-in, or not one the viewer may see."
    SUBMISSION_NOT_OPEN = (
        "SUBMISSION_NOT_OPEN",
        "The viewer is not a student the homework is for (not of its lesson's class or group, or no longer enrolled).",
    )
    SUBMISSION_RETURNED = (
        "SUBMISSION_RETURNED",
        "The work was already returned: the student has not handed it in again.",
    )
    SUBJECT_ARCHIVED = "SUBJECT_ARCHIVED", "The subject is archived: it takes no new teachers."
    SUBJECT_INVALID = "SUBJECT_INVALID", "An external subject id is empty, over 255 characters or not printable."
    SUBJECT_NOT_FOUND = "SUBJECT_NOT_FOUND", "No such subject, or not one the viewer may see."
    SUBJECT_OF_OTHER_SCHOOL = "SUBJECT_OF_OTHER_SCHOOL", "The subject is not of the class's school."
    SUBJECT_UNKNOWN = "SUBJECT_UNKNOWN", "No subject of that name in the school."
    TEACHER_BUSY = "TEACHER_BUSY", "The teacher gives another lesson at that time."
    TEACHER_NOT_ASSIGNED = "TEACHER_NOT_ASSIGNED", "The teacher does not teach that subject in that class."
    TEACHER_NOT_FOUND = "TEACHER_NOT_FOUND", "No such teacher, or not one the viewer may see."
    TERMS_OUTSIDE_YEAR = "TERMS_OUTSIDE_YEAR", "A term of the year would fall outside its new dates."
    TERM_GRADES_GIVEN = "TERM_GRADES_GIVEN", "Final grades were given for the term."
    TERM_GRADE_CHANGED_MEANWHILE = "TERM_GRADE_CHANGED_MEANWHILE", "Someone set this final grade meanwhile: reload it."
    TERM_NOT_FOUND = "TERM_NOT_FOUND", "No such term, or not one the viewer may see."
    TERM_NOT_OF_YEAR = "TERM_NOT_OF_YEAR", "The term is not of the class's academic year."
    TERM_NOT_STARTED = "TERM_NOT_STARTED", "The term has not started yet."
    TERM_OVERLAP = "TERM_OVERLAP", "The dates overlap another term of the year."
    TEXT_EMPTY = "TEXT_EMPTY", "The text is empty."
    TEXT_TOO_LONG = "TEXT_TOO_LONG", "The text is over the length limit."
    TITLE_EMPTY = "TITLE_EMPTY", "The title is empty."
    TITLE_TOO_LONG = "TITLE_TOO_LONG", "The title is over the length limit."
    TOO_LONG = "TOO_LONG", "The meeting lasts too long."
    TOO_MANY = "TOO_MANY", "Too many ids at once."
    TOO_MANY_FILES = "TOO_MANY_FILES", "Too many files attached to one object."
    TOO_MANY_GRADES = "TOO_MANY_GRADES", "Too many grades in one call."
    TOO_MANY_LESSONS = "TOO_MANY_LESSONS", "Too many lessons in one notice."
    TOO_MANY_LINKS = "TOO_MANY_LINKS", "Too many links."
    TOO_MANY_MEMBERS = "TOO_MANY_MEMBERS", "Too many people at once."
    TOO_MANY_PERIODS = "TOO_MANY_PERIODS", "Too many periods in a bell schedule."
    TOPIC_REQUIRED = "TOPIC_REQUIRED", "A row of the thematic plan has no topic."
    TYPE_INVALID = "TYPE_INVALID", "The row type is not student, guardian or teacher."
    UNKNOWN_TIMEZONE = "UNKNOWN_TIMEZONE", "Not an IANA time zone."
    USER_NOT_FOUND = "USER_NOT_FOUND", "No such user, or not one the viewer may see."
    USE_CHAT_LEAVE = "USE_CHAT_LEAVE", "To leave a chat yourself, use `chatLeave`."
    WEEKDAY_OUT_OF_RANGE = "WEEKDAY_OUT_OF_RANGE", "A weekday is from 1 (Monday) to 5 (Friday)."
    WHOLE_MINUTES = "WHOLE_MINUTES", "Bell times are whole minutes."
    WRONG_PASSWORD = "WRONG_PASSWORD", "The current password is wrong."
    XLSX_MALFORMED = "XLSX_MALFORMED", "The file is not a readable XLSX workbook."
    YEAR_OVERLAP = "YEAR_OVERLAP", "The dates overlap another academic year of the school."


def catalogue_markdown() -> str:
    """``docs/errors.md``: every code with its meaning, in the enum's order."""
    rows = "\n".join(f"| `{code.name}` | {code.meaning} |" for code in ErrorCode)
    return (
        "# Error codes\n\n"
        "<!-- Generated from resolvers/codes.py by `make schema`; do not edit by hand. -->\n\n"
        "Every `extensions.code` of a GraphQL error or an HTTP refusal, and every `code` of an `Error` result "
        "(and of `FieldError`, `FileProblem`), is one of these: the schema's `enum ErrorCode`. Codes are stable "
        "and never change with the language of the messages. Each mutation's description lists the codes it "
        "can return.\n\n"
        "| Code | Meaning |\n|---|---|\n"
        f"{rows}\n"
    )


if __name__ == "__main__":  # python -m resolvers.codes docs/errors.md
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(catalogue_markdown(), encoding="utf-8")
