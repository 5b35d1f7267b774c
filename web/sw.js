// The service worker: keeps the page's shell (HTML, CSS, scripts, icons) so the app
// opens at once and installs as a PWA. The shell is served network-first (a new
// gateway's page wins when it answers) and from the cache when it does not; the API,
// images and live events always go to the network and are never cached.

const CACHE = "gpt2-shell-v2";
const SHELL = [
  "/",
  "/favicon.ico",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/icon.svg",
  "/icons/maskable-512.png",
  "/index.html",
  "/js/api.js",
  "/js/app.js",
  "/js/errors.js",
  "/js/forms.js",
  "/js/history.js",
  "/js/i18n-zh.js",
  "/js/i18n.js",
  "/js/icons.js",
  "/js/jobs.js",
  "/js/mask.js",
  "/js/outputs.js",
  "/js/queue.js",
  "/js/recent.js",
  "/js/results.js",
  "/js/settings.js",
  "/js/theme.js",
  "/js/toast.js",
  "/js/util.js",
  "/js/viewer.js",
  "/manifest.webmanifest",
  "/style.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("gpt2-shell-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const key = event.request.mode === "navigate" ? "/" : url.pathname;
  if (!SHELL.includes(key)) return;
  event.respondWith(
    fetch(event.request)
      .then((reply) => {
        if (reply.ok) {
          const copy = reply.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return reply;
      })
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});
