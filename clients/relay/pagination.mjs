// The operations relay-compiler built from src/ (src/__generated__, `npm run compile`), run by
// relay-runtime against a running ediary (the demo district): the demo parent logs in
// (LoginMutation), loads ViewerQuery, then pages two connections with the refetch queries of
// their @refetchable fragments, as usePaginationFragment's loadPrevious / loadNext do: each
// page's variables take the cursor from the connection Relay has in its store, and Relay's
// ConnectionHandler merges the page into it (prepends a `before` page, appends an `after` one).
// Checked: every page in the connection's documented order, no page overlapping another, the
// merged connection the same whichever way it was paged, and its pageInfo at the ends.
//
//   EDIARY_URL=http://127.0.0.1:8000 npm run pagination      (after `npm run compile`)
import RelayRuntime from "relay-runtime";

import ChatMessagesPaginationQuery from "./src/__generated__/ChatMessagesPaginationQuery.graphql.js";
import ChatMessages from "./src/__generated__/Chat_messages.graphql.js";
import LoginMutation from "./src/__generated__/LoginMutation.graphql.js";
import ViewerNotificationsPaginationQuery from "./src/__generated__/ViewerNotificationsPaginationQuery.graphql.js";
import ViewerQuery from "./src/__generated__/ViewerQuery.graphql.js";
import ViewerChats from "./src/__generated__/Viewer_chats.graphql.js";
import ViewerNotifications from "./src/__generated__/Viewer_notifications.graphql.js";

const { Environment, Network, RecordSource, Store, commitMutation, fetchQuery, getSelector } = RelayRuntime;

const HTTP_URL = `${(process.env.EDIARY_URL || "http://127.0.0.1:8000").replace(/\/$/, "")}/graphql`;
const PAGE = 2; // small pages, so that the demo's short lists take several

let failures = 0;
function check(what, ok, got) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok ? "" : `: got ${JSON.stringify(got)}`}`);
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
async function pageThrough({ env, responses, operation, variables, direction, connectionOf, pageOf }) {
  const pages = [];
  let merged = null;
  for (let cursor = null; pages.length <= 100; ) {
    const data = await query(env, operation, {
      ...variables,
      ...(direction === "backward" ? { last: PAGE, before: cursor } : { first: PAGE, after: cursor }),
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

// One connection paged backward (last/before) and forward (first/after) in two fresh stores.
async function both({ name, token, newestFirst, ...paging }) {
  const back = environment({ token });
  const backward = await pageThrough({ ...back, ...paging, direction: "backward" });
  const fore = environment({ token });
  const forward = await pageThrough({ ...fore, ...paging, direction: "forward" });
  const order = newestFirst ? "newest→oldest" : "oldest→newest";
  const mergedBack = backward.merged.edges.map((edge) => edge.node);
  const mergedFore = forward.merged.edges.map((edge) => edge.node);
  check(`${name}: several pages of ${PAGE} each way`, backward.pages.length >= 2 && forward.pages.length >= 2, {
    backward: backward.pages.map(ids),
    forward: forward.pages.map(ids),
  });
  check(
    `${name}: every page ${order} in edges, either way`,
    [...backward.pages, ...forward.pages].every((page) => page.length <= PAGE && ordered(page, newestFirst)),
    { backward: backward.pages.map(times), forward: forward.pages.map(times) },
  );
  check(`${name}: no page overlaps another, either way`, !overlapping(backward.pages) && !overlapping(forward.pages), {
    backward: backward.pages.map(ids),
    forward: forward.pages.map(ids),
  });
  check(
    `${name}: Relay prepends each last/before page: the store has the pages in the list's order`,
    JSON.stringify(ids(mergedBack)) === JSON.stringify(backward.pages.toReversed().flatMap(ids)) && ordered(mergedBack, newestFirst),
    { merged: ids(mergedBack), pages: backward.pages.map(ids) },
  );
  check(
    `${name}: Relay appends the first/after pages, and both ways give the same list`,
    JSON.stringify(ids(mergedFore)) === JSON.stringify(forward.pages.flatMap(ids)) &&
      JSON.stringify(ids(mergedFore)) === JSON.stringify(ids(mergedBack)),
    { forward: ids(mergedFore), backward: ids(mergedBack) },
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
    newestFirst: false,
    operation: ChatMessagesPaginationQuery,
    variables: { id: chat.id },
    connectionOf: (env, data) => read(env, ChatMessages, data.node).messages,
    pageOf: (response) => response.node.messages,
  });
  // Viewer.notifications, documented newest first.
  await both({
    name: "Viewer.notifications",
    token: session.token,
    newestFirst: true,
    operation: ViewerNotificationsPaginationQuery,
    variables: { unreadOnly: false },
    connectionOf: (env, data) => read(env, ViewerNotifications, data.viewer).notifications,
    pageOf: (response) => response.viewer.notifications,
  });
}

try {
  await main();
} catch (error) {
  console.error(error);
  failures += 1;
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
