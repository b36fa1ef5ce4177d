/* 智慧勤务 officer app service worker (scope /app/). Generated at build time from sw/sw.js.
 * - the app shell (index + hashed assets) is precached, so the app opens with no signal
 * - navigations: network first, the cached shell when offline
 * - hashed assets: cache first
 * - the API is never cached here: offline reports live in IndexedDB (see src/lib/queue.ts)
 */
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const CACHE = `smartduty-officer-${VERSION}`;
const SHELL = "/app/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([SHELL, ...PRECACHE]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("smartduty-officer-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/app/")) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(SHELL, copy));
          }
          return response;
        })
        .catch(() => caches.match(SHELL, { cacheName: CACHE }).then((hit) => hit || Response.error())),
    );
    return;
  }
  if (url.pathname.startsWith("/static/web/officer/") || url.pathname === "/app/manifest.webmanifest") {
    event.respondWith(
      caches.match(request, { cacheName: CACHE }).then(
        (hit) =>
          hit ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
  }
});
