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
