// The child's school's academic years and terms (for the progress and final-grade screens): the
// year and term of a day, and the term the screens open on (today's, else the last one begun).
import { useQuery } from "@urql/preact";

import { trusted } from "../client";
import SchoolTermsDocument from "../documents/SchoolTerms.graphql";
import type { SchoolTermsQuery, SchoolTermsQueryVariables } from "../generated";

const SCHOOL_TERMS = trusted(SchoolTermsDocument);

export type School = NonNullable<SchoolTermsQuery["student"]>["school"];
export type Year = School["academicYears"][number];
export type Term = Year["terms"][number];

export function useSchoolTerms(studentId: string) {
  return useQuery<SchoolTermsQuery, SchoolTermsQueryVariables>({ query: SCHOOL_TERMS, variables: { studentId } });
}

/** The year ``day`` falls in, else the last one begun before it, else the first. */
export function yearOf(years: readonly Year[], day: string): Year | undefined {
  return years.find((y) => y.startDate <= day && day <= y.endDate) ?? [...years].reverse().find((y) => y.startDate <= day) ?? years[0];
}

/** The term ``day`` falls in, else the last one begun before it, else the first. */
export function termOf(terms: readonly Term[], day: string): Term | undefined {
  return terms.find((x) => x.startDate <= day && day <= x.endDate) ?? [...terms].reverse().find((x) => x.startDate <= day) ?? terms[0];
}
