// The answers of src/documents, from the types GraphQL Code Generator writes into
// src/generated.ts (codegen.ts; `npm run build` regenerates it from schema.graphql first).
import type { DiaryEventsSubscription, DiaryQuery, LoginMutation, LoginSecondFactorMutation, MeQuery } from "./generated";

export type { DiaryQuery, DiaryQueryVariables, MeQuery } from "./generated";
export type Person = MeQuery["viewer"]["children"][number];
export type DiaryDay = NonNullable<DiaryQuery["student"]>["diary"][number];
export type DiaryEntry = DiaryDay["entries"][number];
export type Grade = DiaryEntry["grades"][number];
export type LoginAnswer = LoginMutation["login"] | LoginSecondFactorMutation["loginSecondFactor"];
export type DiaryEvent = DiaryEventsSubscription["diaryEvents"];
