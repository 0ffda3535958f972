// The family app's service worker (written into dist/sw.js by the build, with this build's
// files): the page and its files from the cache when the network fails, so the installed app
// opens offline. GraphQL requests are never cached here: the app keeps what it last read.
const VERSION = "__VERSION__";
const SHELL = [] /* __SHELL__ */;
const CACHE = `ediary-app-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("ediary-app-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    // The page: the network's (a new build), else the kept one.
    event.respondWith(fetch(request).catch(() => caches.match("/", { cacheName: CACHE }).then((kept) => kept || Response.error())));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then((kept) => kept || fetch(request)));
  }
});

// Push with the app closed (README "Push notifications"): the server's payload is already what a
// lock screen may show (a title such as "New grade" and the child's given name) with ids only;
// the notification opens the app, which reads it through the API.
self.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {};
  }
  const title = typeof payload.title === "string" && payload.title ? payload.title : "ediary";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof payload.body === "string" ? payload.body : "",
      icon: "/icon.svg",
      tag: typeof payload.notification === "string" ? payload.notification : undefined,
      data: { notification: payload.notification, student: payload.student, kind: payload.kind },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = new URL("/", self.location.origin);
  if (typeof data.notification === "string") target.searchParams.set("notification", data.notification);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) return open.focus().then((w) => (w && "navigate" in w ? w.navigate(target.href) : w));
      return self.clients.openWindow(target.href);
    }),
  );
});

// The browser replaced the subscription (keys rotated, or the push service dropped it). This worker
// has no session token (it stays in the page's storage), so it cannot register the new one: it
// subscribes again when the browser gave none, and tells every open window of the app, which
// registers it at once (src/push.ts, resyncPush); with no window open the app does it when it
// next starts.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    (async () => {
      if (!event.newSubscription && event.oldSubscription && event.oldSubscription.options) {
        try {
          await self.registration.pushManager.subscribe(event.oldSubscription.options);
        } catch {
          /* permission withdrawn: nothing to register */
        }
      }
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) client.postMessage({ type: "ediary.pushsubscriptionchange" });
    })(),
  );
});
