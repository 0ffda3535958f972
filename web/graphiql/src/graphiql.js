// GraphiQL for ediary's development server: React, GraphiQL, the explorer and the graphql-ws
// client, bundled by build.mjs into dist/ and served by the app itself (no CDN at run time).
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import React from "react";
import { createRoot } from "react-dom/client";

import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

const EXAMPLE_QUERY = `# GraphiQL for ediary (development only).
# Run: Ctrl-Enter. Complete: Ctrl-Space.
#
# Every demo password is "demo". Put the accessToken
# in Headers as {"Authorization": "Bearer <token>"}:
# queries and subscriptions (WebSocket) then use it.

mutation Login {
  login(input: {login: "parent", password: "demo"}) {
    __typename
    ... on LoginSuccess { accessToken user { fullName } }
    ... on Error { code message }
  }
}
`;

// ?q=...&variables=... share a document (not ?query=: that is a GraphQL GET on /graphql).
const parameters = new URLSearchParams(window.location.search);
const url = window.location.href.split(/[?#]/)[0];
const socketUrl = url.replace(/^http/, "ws");

function updateURL(name, value) {
  if (value) parameters.set(name, value);
  else parameters.delete(name);
  const search = parameters.toString();
  history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
}

// One graphql-ws client per set of headers: the socket authenticates in its connection_init
// payload ({"Authorization": "Bearer ..."}), so new headers mean a new socket.
let socket = { key: null, fetcher: null, client: null };

function fetcherFor(headers) {
  const key = JSON.stringify(headers || {});
  if (socket.key !== key) {
    if (socket.client) socket.client.dispose();
    const client = createClient({ url: socketUrl, connectionParams: () => headers || {}, lazy: true });
    socket = { key, client, fetcher: createGraphiQLFetcher({ url, wsClient: client }) };
  }
  return socket.fetcher;
}

function fetcher(params, options) {
  return fetcherFor(options && options.headers)(params, options);
}

const explorer = explorerPlugin();

function App() {
  return React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultQuery: EXAMPLE_QUERY,
    query: parameters.get("q") || undefined,
    variables: parameters.get("variables") || undefined,
    onEditQuery: (query) => updateURL("q", query),
    onEditVariables: (variables) => updateURL("variables", variables),
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  });
}

createRoot(document.getElementById("graphiql")).render(React.createElement(App));
