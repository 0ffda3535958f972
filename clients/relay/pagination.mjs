// The operations relay-compiler built from src/ (src/__generated__, `npm run compile`), run by
// relay-runtime against a running ediary (the demo district). Each connection is paged with the
// refetch query of its @refetchable fragment, as usePaginationFragment's loadPrevious / loadNext
// do: each page's variables take the cursor from the connection in Relay's store, and Relay's
// ConnectionHandler merges the page into it (prepends a `before` page, appends an `after` one).
// The demo parent (LoginMutation, then ViewerQuery) pages Chat.messages (oldest to newest) and
// Viewer.notifications (newest first) two at a time: every page in that order, none overlapping
// another, the merged list the same whichever way it was paged, and pageInfo at the ends; and
// the chat's Chat.participants the same way (by name: no order checked), and, once it has answered
// the demo meeting, Meeting.answers (no order checked: one answer). The demo school's
// administrator pages every other connection the same way (no order checked: the fixture
// selects only ids there), but District.schoolsConnection, which the district's administrator
// pages.
//
//   EDIARY_URL=http://127.0.0.1:8000 npm run pagination      (after `npm run compile`)
import RelayRuntime from "relay-runtime";

import ChatMessagesPaginationQuery from "./src/__generated__/ChatMessagesPaginationQuery.graphql.js";
import ChatMessages from "./src/__generated__/Chat_messages.graphql.js";
import ChatParticipantsPaginationQuery from "./src/__generated__/ChatParticipantsPaginationQuery.graphql.js";
import ChatParticipants from "./src/__generated__/Chat_participants.graphql.js";
import LoginMutation from "./src/__generated__/LoginMutation.graphql.js";
import MeetingAnswersPaginationQuery from "./src/__generated__/MeetingAnswersPaginationQuery.graphql.js";
import MeetingListQuery from "./src/__generated__/MeetingListQuery.graphql.js";
import MeetingRespondMutation from "./src/__generated__/MeetingRespondMutation.graphql.js";
import MeetingAnswers from "./src/__generated__/Meeting_answers.graphql.js";
import DirectoryNotificationDeliveriesPaginationQuery from "./src/__generated__/DirectoryNotificationDeliveriesPaginationQuery.graphql.js";
import DistrictListQuery from "./src/__generated__/DistrictListQuery.graphql.js";
import DistrictSchoolsPaginationQuery from "./src/__generated__/DistrictSchoolsPaginationQuery.graphql.js";
import DistrictSchoolsConnection from "./src/__generated__/District_schoolsConnection.graphql.js";
import DirectoryPeoplePaginationQuery from "./src/__generated__/DirectoryPeoplePaginationQuery.graphql.js";
import DirectoryNotificationDeliveries from "./src/__generated__/Directory_notificationDeliveries.graphql.js";
import DirectoryPeople from "./src/__generated__/Directory_people.graphql.js";
import SchoolAccessRequestsPaginationQuery from "./src/__generated__/SchoolAccessRequestsPaginationQuery.graphql.js";
import SchoolAccountsPaginationQuery from "./src/__generated__/SchoolAccountsPaginationQuery.graphql.js";
import SchoolAuditLogPaginationQuery from "./src/__generated__/SchoolAuditLogPaginationQuery.graphql.js";
import SchoolListQuery from "./src/__generated__/SchoolListQuery.graphql.js";
import SchoolAccessRequests from "./src/__generated__/School_accessRequests.graphql.js";
import SchoolAccounts from "./src/__generated__/School_accounts.graphql.js";
import SchoolAuditLog from "./src/__generated__/School_auditLog.graphql.js";
import ViewerAnnouncementsPaginationQuery from "./src/__generated__/ViewerAnnouncementsPaginationQuery.graphql.js";
import ViewerChatsPaginationQuery from "./src/__generated__/ViewerChatsPaginationQuery.graphql.js";
import ViewerNotificationsPaginationQuery from "./src/__generated__/ViewerNotificationsPaginationQuery.graphql.js";
import ViewerQuery from "./src/__generated__/ViewerQuery.graphql.js";
import ViewerSessionsPaginationQuery from "./src/__generated__/ViewerSessionsPaginationQuery.graphql.js";
import ViewerAnnouncements from "./src/__generated__/Viewer_announcements.graphql.js";
import ViewerChats from "./src/__generated__/Viewer_chats.graphql.js";
import ViewerNotifications from "./src/__generated__/Viewer_notifications.graphql.js";
import ViewerSessions from "./src/__generated__/Viewer_sessions.graphql.js";

const { Environment, Network, RecordSource, Store, commitMutation, fetchQuery, getSelector } = RelayRuntime;

const HTTP_URL = `${(process.env.EDIARY_URL || "http://127.0.0.1:8000").replace(/\/$/, "")}/graphql`;
const PAGE = 2; // small pages, so that the demo's short lists take several (`size` for the long ones)
const MAX_PAGES = 100;

let failures = 0;
function check(what, ok, got) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok ? "" : `: got ${JSON.stringify(got).slice(0, 2000)}`}`);
  if (!ok) failures += 1;
}

// A fresh Relay environment (its own store) whose network sends the compiled operation text with
// the session's token, and keeps each response: `responses.at(-1)` is the server's own page.
function environment(session = {}) {
  const responses = [];
  const network = Network.create(async (params, variables) => {
    const headers = { "Content-Type": "application/json", "Accept-Language": "en" };
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    const response = await fetch(HTTP_URL, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: params.text, variables, operationName: params.name }),
    });
    const json = await response.json();
    if (json.errors) throw new Error(`${params.name}: ${JSON.stringify(json.errors)}`);
    responses.push(json.data);
    return json;
  });
  return { env: new Environment({ network, store: new Store(new RecordSource()) }), responses };
}

const query = (env, operation, variables) => fetchQuery(env, operation, variables, { fetchPolicy: "network-only" }).toPromise();
const read = (env, fragment, ref) => env.lookup(getSelector(fragment, ref)).data;

function respond(env, meetingId, answer) {
  return new Promise((resolve, reject) =>
    commitMutation(env, {
      mutation: MeetingRespondMutation,
      variables: { meetingId, answer },
      onCompleted: (data) => resolve(data.meetingRespond),
      onError: reject,
    }),
  );
}

function login(env, loginName, password = "demo") {
  return new Promise((resolve, reject) =>
    commitMutation(env, {
      mutation: LoginMutation,
      variables: { login: loginName, password },
      onCompleted: (data) => resolve(data.login),
      onError: reject,
    }),
  );
}

// Page a connection to its end one way, as Relay's pagination does. `connectionOf(env, data)` is the
// merged connection from the fragment in the store; `pageOf(response)` the server's page.
async function pageThrough({ env, responses, operation, variables, direction, size, connectionOf, pageOf }) {
  const pages = [];
  let merged = null;
  for (let cursor = null; pages.length < MAX_PAGES; ) {
    const data = await query(env, operation, {
      ...variables,
      ...(direction === "backward" ? { last: size, before: cursor } : { first: size, after: cursor }),
    });
    pages.push(pageOf(responses.at(-1)).edges.map((edge) => edge.node));
    merged = connectionOf(env, data);
    const more = direction === "backward" ? merged.pageInfo.hasPreviousPage : merged.pageInfo.hasNextPage;
    if (!more) break;
    cursor = direction === "backward" ? merged.pageInfo.startCursor : merged.pageInfo.endCursor;
  }
  return { pages, merged };
}

const ids = (nodes) => nodes.map((node) => node.id);
const times = (nodes) => nodes.map((node) => node.createdAt);
const at = (node) => Date.parse(node.createdAt);
const ordered = (nodes, newestFirst) =>
  nodes.every((node, i) => i === 0 || (newestFirst ? at(nodes[i - 1]) >= at(node) : at(nodes[i - 1]) <= at(node)));
const overlapping = (pages) => new Set(pages.flat().map((n) => n.id)).size !== pages.flat().length;

// One connection paged backward (last/before) and forward (first/after), each in a fresh store.
// `order`: "oldest" or "newest" first in edges (checked on `createdAt`), or null (not checked);
// `pages`: how many pages each way at least (the demo's list is known to be that long).
async function both({ name, token, order = null, pages = 1, size = PAGE, ...paging }) {
  const back = environment({ token });
  const backward = await pageThrough({ ...back, ...paging, size, direction: "backward" });
  const fore = environment({ token });
  const forward = await pageThrough({ ...fore, ...paging, size, direction: "forward" });
  const newestFirst = order === "newest";
  const mergedBack = backward.merged.edges.map((edge) => edge.node);
  const mergedFore = forward.merged.edges.map((edge) => edge.node);
  const sizes = { backward: backward.pages.map(ids), forward: forward.pages.map(ids) };
  check(
    `${name}: ${pages > 1 ? `${pages}+ pages` : "pages"} of at most ${size} each way, to both ends (${mergedFore.length} in all)`,
    backward.pages.length >= pages &&
      forward.pages.length >= pages &&
      backward.pages.length < MAX_PAGES &&
      forward.pages.length < MAX_PAGES &&
      [...backward.pages, ...forward.pages].every((page) => page.length <= size),
    sizes,
  );
  if (order) {
    check(
      `${name}: every page ${newestFirst ? "newest→oldest" : "oldest→newest"} in edges, either way`,
      [...backward.pages, ...forward.pages].every((page) => ordered(page, newestFirst)) && ordered(mergedFore, newestFirst),
      { backward: backward.pages.map(times), forward: forward.pages.map(times) },
    );
  }
  check(`${name}: no page overlaps another, either way`, !overlapping(backward.pages) && !overlapping(forward.pages), sizes);
  check(
    `${name}: Relay prepends each last/before page, appends each first/after page: the same list both ways`,
    JSON.stringify(ids(mergedBack)) === JSON.stringify(backward.pages.toReversed().flatMap(ids)) &&
      JSON.stringify(ids(mergedFore)) === JSON.stringify(forward.pages.flatMap(ids)) &&
      JSON.stringify(ids(mergedFore)) === JSON.stringify(ids(mergedBack)),
    { forward: ids(mergedFore), backward: ids(mergedBack), ...sizes },
  );
  const [b, f] = [backward.merged.pageInfo, forward.merged.pageInfo];
  check(`${name}: pageInfo at the ends (no previous page at the start, no next page at the end)`, !b.hasPreviousPage && !f.hasNextPage, {
    backward: b,
    forward: f,
  });
}

async function main() {
  console.log(`relay-runtime against ${HTTP_URL}`);
  const session = {};
  const { env } = environment(session);
  const refused = await login(env, "parent", "not the password");
  check("LoginMutation with a wrong password: an Error", refused.__typename === "InvalidCredentialsError" && !!refused.code, refused);
  const signedIn = await login(env, "parent");
  check("LoginMutation parent/demo: LoginSuccess", signedIn.__typename === "LoginSuccess" && !!signedIn.accessToken, signedIn);
  session.token = signedIn.accessToken;

  // The page a Relay app opens first: ViewerQuery, the parent's chats with their newest messages.
  const viewer = (await query(env, ViewerQuery, {})).viewer;
  const chats = read(env, ViewerChats, viewer).chats.edges.map((edge) => read(env, ChatMessages, edge.node));
  const chat = chats.find((c) => c.title === "5A mathematics: parents");
  check("ViewerQuery: the demo parent's chats, each with its newest messages", !!chat && chat.messages.edges.length === 3, chats);
  if (!chat) return;

  // Chat.messages, documented oldest to newest in edges (a chat opens at the newest: last/before).
  await both({
    name: "Chat.messages",
    token: session.token,
    order: "oldest",
    pages: 3,
    operation: ChatMessagesPaginationQuery,
    variables: { id: chat.id },
    connectionOf: (env, data) => read(env, ChatMessages, data.node).messages,
    pageOf: (response) => response.node.messages,
  });
  // Chat.participants, by name (no order checked: by name, not by time).
  await both({
    name: "Chat.participants",
    token: session.token,
    operation: ChatParticipantsPaginationQuery,
    variables: { id: chat.id },
    connectionOf: (env, data) => read(env, ChatParticipants, data.node).participants,
    pageOf: (response) => response.node.participants,
  });
  // Meeting.answers: the demo parent answers the demo meeting, then pages the answers (their own).
  const meetings = (await query(environment(session).env, MeetingListQuery, {})).viewer.meetings;
  const meeting = meetings[0];
  check("MeetingListQuery: the demo parent's meeting", !!meeting, meetings);
  if (!meeting) return;
  const answered = await respond(environment(session).env, meeting.id, "ATTENDING");
  check("MeetingRespondMutation: the demo parent's answer", answered.__typename === "MeetingSuccess", answered);
  const meetingAnswers = {
    name: "Meeting.answers",
    operation: MeetingAnswersPaginationQuery,
    variables: { id: meeting.id },
    connectionOf: (env, data) => read(env, MeetingAnswers, data.node).answers,
    pageOf: (response) => response.node.answers,
  };
  await both({ token: session.token, ...meetingAnswers, name: "Meeting.answers (a parent: their own)" });
  // Viewer.notifications, documented newest first.
  await both({
    name: "Viewer.notifications",
    token: session.token,
    order: "newest",
    pages: 2,
    operation: ViewerNotificationsPaginationQuery,
    variables: { unreadOnly: false },
    connectionOf: (env, data) => read(env, ViewerNotifications, data.viewer).notifications,
    pageOf: (response) => response.viewer.notifications,
  });

  // The other connections, as the demo school's administrator (who may read them all).
  const admin = await login(env, "admin");
  check("LoginMutation admin/demo: LoginSuccess", admin.__typename === "LoginSuccess", admin);
  const token = admin.accessToken;
  const schools = (await query(environment({ token }).env, SchoolListQuery, {})).viewer.schools;
  const school = schools.find((s) => s.name === "School No. 1");
  check("SchoolListQuery: the administrator's school", !!school, schools);
  if (!school) return;
  const viewerConnection = (field, operation, fragment, variables = {}) => ({
    name: `Viewer.${field}`,
    operation,
    variables,
    connectionOf: (env, data) => read(env, fragment, data.viewer)[field],
    pageOf: (response) => response.viewer[field],
  });
  const schoolConnection = (field, operation, fragment) => ({
    name: `School.${field}`,
    operation,
    variables: { id: school.id },
    connectionOf: (env, data) => read(env, fragment, data.node)[field],
    pageOf: (response) => response.node[field],
  });
  const rootConnection = (field, operation, fragment, variables = {}) => ({
    name: `Query.${field}`,
    operation,
    variables,
    connectionOf: (env, data) => read(env, fragment, data)[field],
    pageOf: (response) => response[field],
  });
  for (const connection of [
    viewerConnection("announcements", ViewerAnnouncementsPaginationQuery, ViewerAnnouncements),
    viewerConnection("chats", ViewerChatsPaginationQuery, ViewerChats),
    viewerConnection("sessions", ViewerSessionsPaginationQuery, ViewerSessions),
    schoolConnection("accessRequests", SchoolAccessRequestsPaginationQuery, SchoolAccessRequests),
    { ...schoolConnection("accounts", SchoolAccountsPaginationQuery, SchoolAccounts), size: 50 },
    schoolConnection("auditLog", SchoolAuditLogPaginationQuery, SchoolAuditLog),
    { ...rootConnection("people", DirectoryPeoplePaginationQuery, DirectoryPeople), size: 50 },
    { ...meetingAnswers, name: "Meeting.answers (the school's administrator: every answer)" },
    rootConnection("notificationDeliveries", DirectoryNotificationDeliveriesPaginationQuery, DirectoryNotificationDeliveries, {
      schoolId: school.id,
      status: "SENT",
    }),
  ]) {
    await both({ token, ...connection });
  }

  // District.schoolsConnection, as the demo district's administrator.
  const districtAdmin = await login(env, "district");
  check("LoginMutation district/demo: LoginSuccess", districtAdmin.__typename === "LoginSuccess", districtAdmin);
  const districtToken = districtAdmin.accessToken;
  const districts = (await query(environment({ token: districtToken }).env, DistrictListQuery, {})).viewer.districts;
  check("DistrictListQuery: the district administrator's district", districts.length === 1, districts);
  for (const district of districts) {
    await both({
      name: "District.schoolsConnection",
      token: districtToken,
      operation: DistrictSchoolsPaginationQuery,
      variables: { id: district.id },
      connectionOf: (env, data) => read(env, DistrictSchoolsConnection, data.node).schoolsConnection,
      pageOf: (response) => response.node.schoolsConnection,
    });
  }
}

try {
  await main();
} catch (error) {
  console.error(error);
  failures += 1;
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
