// The answers of src/documents, typed by hand from schema.graphql (the documents are few and
// change with the screens; a generated version is a later step, see README "The family app").

export interface Person {
  id: string;
  fullName: string;
  schoolClass: { id: string; name: string };
  school: { id: string; name: string; timezone: string };
}

export interface MeData {
  viewer: {
    user: { id: string; fullName: string };
    roles: string[];
    children: Person[];
    student: Person | null;
  };
}

export interface Grade {
  id: string;
  value: string;
  weight: number;
  kind: string;
  comment: string | null;
  createdAt: string;
}

export interface DiaryEntry {
  lesson: {
    id: string;
    period: number;
    startsAt: string;
    endsAt: string;
    room: string | null;
    status: "SCHEDULED" | "CANCELLED";
    cancelReason: string | null;
    topic: string | null;
    subject: { id: string; name: string };
    teacher: { id: string; fullName: string };
  };
  attendance: string | null;
  lateMinutes: number | null;
  grades: Grade[];
  homework: { id: string; text: string; links: string[] }[];
}

export interface DiaryDay {
  date: string;
  kind: "SCHOOL_DAY" | "WEEKEND" | "HOLIDAY" | "VACATION";
  dayOffName: string | null;
  entries: DiaryEntry[];
}

export interface DiaryData {
  student: { id: string; diary: DiaryDay[] } | null;
}

export type LoginAnswer =
  | { __typename: "LoginSuccess"; accessToken: string; refreshToken: string; mustChangePassword: boolean; user: { id: string; fullName: string } }
  | { __typename: "SecondFactorRequired"; challenge: string; expiresAt: string }
  | { __typename: string; code: string; message: string };
