// Alytus Passport check, offline: served as /passport/sw.js with scope /passport/.
// Keeps the verify page, its script and style, and the last revocation list. Every request
// goes to the network first (so a changed key or list arrives at once) and falls back to the
// cache when the network is gone; a cached revocation list is marked with X-From-Cache.
"use strict";

const CACHE = "alytus-passport-v1";
const ROOT = new URL(self.registration.scope).pathname.replace(/\/passport\/$/, "");
const LIST = `${ROOT}/passport/revoked.json`;
const KEPT = [
  `${ROOT}/passport/verify`,
  `${ROOT}/static/passport.css`,
  `${ROOT}/static/passport-verify.js`,
  LIST,
];
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function fromNetwork(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), NETWORK_TIMEOUT_MS);
    fetch(request).then(
      (response) => { clearTimeout(timer); resolve(response); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

async function fromCache(path) {
  const cached = await caches.match(path, { ignoreSearch: true });
  if (!cached || path !== LIST) return cached;
  const headers = new Headers(cached.headers);
  headers.set("X-From-Cache", "1");
  return new Response(await cached.blob(), { status: cached.status, headers });
}

async function networkFirst(request, path) {
  try {
    const response = await fromNetwork(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(path, response.clone());
    }
    return response;
  } catch {
    return (await fromCache(path)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!KEPT.includes(url.pathname)) return;
  event.respondWith(networkFirst(event.request, url.pathname));
});
