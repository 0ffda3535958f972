// Real client libraries against a running ediary (the demo district): Apollo Client 4 with
// `possibleTypes` from GraphQL Code Generator, urql, and the graphql-ws client. Each step checks
// what it got; any mismatch ends the run with exit code 1.
//
//   EDIARY_URL=http://127.0.0.1:8000 npm run codegen && EDIARY_URL=http://127.0.0.1:8000 npm run smoke
//
// `make clients` (in the repository's root) starts a fresh demo server and runs both.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { Client as UrqlClient, fetchExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const URL_BASE = (process.env.EDIARY_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const HTTP_URL = `${URL_BASE}/graphql`;
const WS_URL = HTTP_URL.replace(/^http/, "ws");
// Apollo Client keeps `... on Error { code message }` only when it knows which types implement
// `Error`: this file is `npm run codegen`'s output (GraphQL Code Generator, fragment-matcher).
const { possibleTypes } = JSON.parse(readFileSync(new URL("./generated/possibleTypes.json", import.meta.url)));

let failures = 0;
function check(what, ok, got) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok ? "" : `: got ${JSON.stringify(got)}`}`);
  if (!ok) failures += 1;
}

// The school's day, as the server's clock has it (EDIARY_NOW moves both; a date means 09:00 Moscow).
const MOSCOW = "Europe/Moscow";
const now = process.env.EDIARY_NOW
  ? new Date(/T/.test(process.env.EDIARY_NOW) ? process.env.EDIARY_NOW : `${process.env.EDIARY_NOW}T09:00:00+03:00`)
  : new Date();
const day = (date) => date.toLocaleDateString("en-CA", { timeZone: MOSCOW }); // YYYY-MM-DD
const daysBefore = (n) => day(new Date(now.getTime() - n * 86_400_000));

// --- Documents (module constants, as a client app keeps them) ------------------------------------
const LOGIN = gql`
  mutation Login($login: String!, $password: String!) {
    login(input: { login: $login, password: $password }) {
      ... on LoginSuccess {
        accessToken
        refreshToken
        user {
          id
          fullName
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`;
const VIEWER = gql`
  query Viewer {
    viewer {
      roles
      user {
        id
        fullName
      }
      children {
        id
        fullName
        schoolClass {
          id
          name
        }
      }
      teaching {
        schoolClass {
          id
          name
        }
        subject {
          id
          name
        }
      }
    }
  }
`;
const DIARY = `
  query Diary($id: ID!, $from: Date!, $to: Date!) {
    student(id: $id) {
      id
      fullName
      diary(from: $from, to: $to) {
        date
        entries {
          lesson { id date period startsAt status subject { id name } }
          grades { id value }
        }
      }
    }
  }
`;
const GRADE_CREATE = gql`
  mutation GradeCreate($input: GradeCreateInput!) {
    gradeCreate(input: $input) {
      ... on GradeCreateSuccess {
        grade {
          id
          value
        }
      }
      ... on ValidationError {
        fields {
          field
          code
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`;
const SESSION_REFRESH = gql`
  mutation SessionRefresh($refreshToken: String!) {
    sessionRefresh(input: { refreshToken: $refreshToken }) {
      ... on LoginSuccess {
        accessToken
        refreshToken
      }
      ... on Error {
        code
        message
      }
    }
  }
`;
// One Relay connection, paged both ways (the parent's notifications: the demo gives every parent some).
const NOTIFICATIONS = `
  query Notifications($first: Int, $after: String, $last: Int, $before: String) {
    viewer {
      notifications(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
`;
// A chat's history, newest page first as a chat view opens it (last/before); edges oldest to newest.
const CHATS = `
  query Chats {
    viewer {
      chats(first: 20) {
        edges { node { id title } }
      }
    }
  }
`;
const MESSAGES = `
  query Messages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $id) {
      ... on Chat {
        messages(first: $first, after: $after, last: $last, before: $before) {
          edges { cursor node { id createdAt } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
    }
  }
`;
const DIARY_EVENTS = `
  subscription DiaryEvents($studentId: ID, $after: String) {
    diaryEvents(studentId: $studentId, after: $after) { cursor kind grade { id value } }
  }
`;

// --- Apollo Client 4 ------------------------------------------------------------------------------
// Every POST body Apollo sends, to see the persisted-query exchange on the wire.
const sent = [];
const recordingFetch = (uri, options) => {
  sent.push(JSON.parse(options.body));
  return fetch(uri, options);
};

function apollo({ token, locale = "en", cacheTypes = possibleTypes } = {}) {
  const headers = { "Accept-Language": locale };
  if (token) headers.Authorization = `Bearer ${token}`;
  // Automatic persisted queries: the hash first; the server answers PERSISTED_QUERY_NOT_FOUND once
  // and the link sends the document with it.
  const sha256 = (document) => createHash("sha256").update(document).digest("hex");
  const link = new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: HTTP_URL, headers, fetch: recordingFetch }));
  return new ApolloClient({ link, cache: new InMemoryCache({ possibleTypes: cacheTypes }) });
}

async function login(loginName, password = "demo") {
  const { data } = await apollo().mutate({ mutation: LOGIN, variables: { login: loginName, password } });
  return data.login;
}

// --- urql -----------------------------------------------------------------------------------------
function urql(token, locale = "en") {
  return new UrqlClient({
    url: HTTP_URL,
    exchanges: [fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}`, "Accept-Language": locale } }),
  });
}

// --- graphql-ws -----------------------------------------------------------------------------------
// `connectionParams` is a function: each (re)connection asks for a token then, so a socket closed
// with 4403 (token expired) comes back with a fresh one. 4401 (the session ended) is fatal.
function sockets(freshToken, locale = "en") {
  let connections = 0;
  const client = createWsClient({
    url: WS_URL,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 3,
    connectionParams: async () => {
      connections += 1;
      return { Authorization: `Bearer ${await freshToken()}`, locale };
    },
  });
  return { client, connections: () => connections };
}

// The first event that `accept`s, or null after `ms`.
function nextEvent(ws, variables, accept, ms = 10_000) {
  return new Promise((resolve, reject) => {
    let dispose = () => {};
    const timer = setTimeout(() => {
      dispose();
      resolve(null);
    }, ms);
    dispose = ws.subscribe(
      { query: DIARY_EVENTS, variables },
      {
        next: ({ data, errors }) => {
          if (errors) {
            clearTimeout(timer);
            dispose();
            reject(new Error(JSON.stringify(errors)));
          } else if (accept(data.diaryEvents)) {
            clearTimeout(timer);
            dispose();
            resolve(data.diaryEvents);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(`socket closed: ${error?.code} ${error?.reason}`));
        },
        complete: () => {},
      },
    );
  });
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- The run --------------------------------------------------------------------------------------
async function main() {
  console.log(`ediary at ${HTTP_URL}, today ${day(now)} (Moscow)`);
  check(
    "possibleTypes (codegen) lists the Error implementations",
    possibleTypes?.Error?.includes("ValidationError") && possibleTypes?.Error?.includes("InvalidCredentialsError"),
    possibleTypes?.Error,
  );

  // 1. A wrong password is an `Error` result of the union, read with `... on Error`.
  const refused = await login("parent", "not the password");
  check(
    "login with a wrong password: ... on Error { code message }",
    refused.__typename === "InvalidCredentialsError" && refused.code === "INVALID_CREDENTIALS" && !!refused.message,
    refused,
  );

  // 2. The parent signs in and reads the viewer (Apollo).
  const parent = await login("parent");
  check("login parent/demo: LoginSuccess", parent.__typename === "LoginSuccess" && !!parent.accessToken, parent);
  const parentApollo = apollo({ token: parent.accessToken });
  const { data: parentView } = await parentApollo.query({ query: VIEWER });
  const children = parentView.viewer.children;
  check("parent's viewer: PARENT with two children", parentView.viewer.roles.includes("PARENT") && children.length === 2, parentView);

  // 3. The teacher signs in; the parent's children in the teacher's classes (the demo: both).
  const teacher = await login("teacher");
  const teacherApollo = apollo({ token: teacher.accessToken });
  const { data: teacherView } = await teacherApollo.query({ query: VIEWER });
  const teaching = teacherView.viewer.teaching;
  const taught = children.flatMap((c) =>
    teaching.filter((t) => t.schoolClass.id === c.schoolClass.id).map((t) => ({ child: c, subject: t.subject })),
  );
  check("teacher teaches a class of the parent's children", taught.length > 0, { teaching, children });

  // 4. Each such child's diary of the last twelve weeks (urql; twelve: in the summer the demo's last
  // lessons are those of late May), with the cost in `extensions`. The newest lesson of the
  // teacher's that has started is the one to grade.
  const candidates = [];
  for (const { child, subject } of taught) {
    const diary = await urql(parent.accessToken)
      .query(DIARY, { id: child.id, from: daysBefore(83), to: day(now) })
      .toPromise();
    const days = diary.data?.student?.diary ?? [];
    check(`${child.fullName}'s diary (urql): twelve weeks of days`, !diary.error && days.length === 84, diary.error?.message ?? days.length);
    const cost = diary.extensions?.cost;
    check(
      "extensions.cost: requestedQueryCost under maximumQueryCost",
      cost && cost.requestedQueryCost > 0 && (cost.maximumQueryCost === null || cost.requestedQueryCost <= cost.maximumQueryCost),
      diary.extensions,
    );
    for (const lesson of days.flatMap((d) => d.entries.map((e) => e.lesson))) {
      if (lesson.subject.id === subject.id && lesson.status === "SCHEDULED" && new Date(lesson.startsAt) <= now) {
        candidates.push({ child, subject, lesson });
      }
    }
  }
  candidates.sort((a, b) => new Date(a.lesson.startsAt) - new Date(b.lesson.startsAt));
  const { child, subject, lesson } = candidates.at(-1) ?? {};
  check(
    "a lesson of the teacher's that has started (none before the first one of a school year)",
    !!lesson,
    candidates.length,
  );
  if (!lesson) return;
  console.log(`     grading ${child.fullName}, ${subject.name}, ${lesson.date} period ${lesson.period}`);

  // 5. Pagination (Relay): forward with first/after and backward with last/before give the same
  // list, in the same order, with no page overlapping another (before any grade of this run adds
  // a notification).
  const page = async (variables) => {
    const result = await urql(parent.accessToken).query(NOTIFICATIONS, variables).toPromise();
    if (result.error) throw result.error;
    return result.data.viewer.notifications;
  };
  const forward = [];
  for (let after = null, more = true; more; ) {
    const { edges, pageInfo } = await page({ first: 1, after });
    forward.push(...edges.map((e) => e.node.id));
    [after, more] = [pageInfo.endCursor, pageInfo.hasNextPage];
  }
  const backward = [];
  for (let before = null, more = true; more; ) {
    const { edges, pageInfo } = await page({ last: 1, before });
    backward.unshift(...edges.map((e) => e.node.id));
    [before, more] = [pageInfo.startCursor, pageInfo.hasPreviousPage];
  }
  check(
    "a connection paged forward (first/after) and backward (last/before): the same list",
    forward.length >= 2 && new Set(forward).size === forward.length && JSON.stringify(forward) === JSON.stringify(backward),
    { forward, backward },
  );

  // 5b. Chat.messages paged back from the newest with last/before (the demo's parents' chat has
  // five messages: pages of two): each page oldest→newest in `edges`, no page overlapping another,
  // and the pages, older ones first, the whole history that first/after reads from the start.
  const { data: chatList, error: chatsError } = await urql(parent.accessToken).query(CHATS, {}).toPromise();
  const chat = chatList?.viewer.chats.edges.map((e) => e.node).find((c) => c.title === "5A mathematics: parents");
  check("the parent's chats include the demo's 5A parents' chat", !!chat, chatsError?.message ?? chatList);
  if (chat) {
    const messages = async (variables) => {
      const result = await urql(parent.accessToken).query(MESSAGES, { id: chat.id, ...variables }).toPromise();
      if (result.error) throw result.error;
      return result.data.node.messages;
    };
    const pages = [];
    for (let before = null, more = true; more; ) {
      const { edges, pageInfo } = await messages({ last: 2, before });
      pages.push(edges.map((e) => e.node));
      [before, more] = [pageInfo.startCursor, pageInfo.hasPreviousPage && pages.length < 50];
    }
    const oldestFirst = (nodes) => nodes.every((n, i) => i === 0 || Date.parse(nodes[i - 1].createdAt) < Date.parse(n.createdAt));
    const history = pages.toReversed().flat();
    check(
      "Chat.messages with last/before: each page oldest→newest, no overlap, older pages before newer",
      pages.length >= 2 &&
        pages.every((page) => page.length >= 1 && page.length <= 2 && oldestFirst(page)) &&
        new Set(history.map((n) => n.id)).size === history.length &&
        oldestFirst(history),
      pages,
    );
    const { edges: all } = await messages({ first: 100 });
    check(
      "Chat.messages: the pages read backward are the history first/after reads forward",
      JSON.stringify(all.map((e) => e.node.id)) === JSON.stringify(history.map((n) => n.id)),
      { forward: all.map((e) => e.node.id), backward: history.map((n) => n.id) },
    );
  }

  // 6. A refused grade: an `Error` result (ValidationError) read through `... on Error`.
  const { data: bad } = await teacherApollo.mutate({
    mutation: GRADE_CREATE,
    variables: { input: { studentId: child.id, lessonId: lesson.id, value: "banana" } },
  });
  check(
    "gradeCreate with a bad value: ValidationError, ... on Error { code message }",
    bad.gradeCreate.__typename === "ValidationError" &&
      bad.gradeCreate.code === "INVALID_VALUE" &&
      !!bad.gradeCreate.message &&
      bad.gradeCreate.fields.some((f) => f.field === "value"),
    bad.gradeCreate,
  );

  // 7. Live: the parent subscribes (graphql-ws, connectionParams a function) and the teacher grades.
  // Each connection asks for a token: the login's first, then a fresh pair from sessionRefresh (a
  // real app refreshes when its token is about to expire, and on a 4403 close).
  let tokenRequests = 0;
  let session = { accessToken: parent.accessToken, refreshToken: parent.refreshToken };
  const freshToken = async () => {
    tokenRequests += 1;
    if (tokenRequests > 1) {
      const { data } = await apollo().mutate({ mutation: SESSION_REFRESH, variables: { refreshToken: session.refreshToken } });
      check("sessionRefresh: a fresh token for the new connection", data.sessionRefresh.__typename === "LoginSuccess", data.sessionRefresh);
      session = data.sessionRefresh;
    }
    return session.accessToken;
  };
  const live = sockets(freshToken);
  const gradeCreate = (value) =>
    teacherApollo.mutate({ mutation: GRADE_CREATE, variables: { input: { studentId: child.id, lessonId: lesson.id, value } } });
  let posted = null;
  const first = nextEvent(live.client, { studentId: child.id }, (e) => e.kind === "GRADE_ADDED" && e.grade?.id === posted);
  await sleep(1000); // the socket connects and the subscription starts
  const { data: good } = await gradeCreate("5");
  posted = good.gradeCreate.grade?.id;
  check("teacher's gradeCreate: GradeCreateSuccess", good.gradeCreate.__typename === "GradeCreateSuccess" && !!posted, good.gradeCreate);
  const event = await first;
  check("the parent's socket got GRADE_ADDED for that grade", event?.grade?.value === "5", event);
  check("connectionParams was asked for a token", tokenRequests >= 1, tokenRequests);
  await live.client.dispose();

  // 8. Resume by cursor: a grade given while no socket was open is replayed after `after: cursor`.
  if (event) {
    const { data: missed } = await gradeCreate("4");
    const missedId = missed.gradeCreate.grade?.id;
    const again = sockets(freshToken);
    const replayed = await nextEvent(again.client, { studentId: child.id, after: event.cursor }, (e) => e.grade?.id === missedId);
    check("resubscribed with after: cursor, the missed grade is replayed", replayed?.grade?.value === "4", replayed);
    check("the new connection asked connectionParams again", tokenRequests === 2, tokenRequests);
    await again.client.dispose();
  }

  // 9. Persisted queries: the same query again goes as its hash alone, and is answered.
  sent.length = 0;
  const { data: again } = await parentApollo.query({ query: VIEWER, fetchPolicy: "network-only" });
  check(
    "persisted query: the second Viewer query is sent as its sha256 only, and answered",
    sent.length === 1 && !sent[0].query && !!sent[0].extensions?.persistedQuery?.sha256Hash && again.viewer.children.length === 2,
    sent,
  );

  // 10. Locales: a Russian refusal for Accept-Language: ru; the code stays the same.
  const anonymousRu = urql("", "ru");
  const ru = await anonymousRu.query("query { viewer { user { id } } }", {}).toPromise();
  const ruError = ru.error?.graphQLErrors?.[0];
  check(
    "Accept-Language: ru: UNAUTHENTICATED with a Russian message",
    ruError?.extensions?.code === "UNAUTHENTICATED" && /[А-Яа-яЁё]/.test(ruError.message),
    ruError,
  );
}

try {
  await main();
} catch (error) {
  console.error(error);
  failures += 1;
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
