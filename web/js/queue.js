// The engine's queue: the header pill (running / queued / at once) kept fresh by a
// light poll and on every job start or finish; the queue drawer listing every active
// job of the engine (not only this page's) with its wait or run time and a cancel
// button; and the max_parallel control in Settings.

import { api, outputUrl } from "./api.js";
import { icon } from "./icons.js";
import { elapsed, t } from "./i18n.js";
import { actions, isImageJob } from "./results.js";
import { $, el, errorBlock, fill, promptOf, showError } from "./util.js";

let timer = null;
let drawerTimer = null;
let current = null;

function render(q) {
  current = q;
  const pill = $("#queue-indicator");
  pill.classList.remove("hidden");
  pill.dataset.running = String(q.running);
  pill.dataset.queued = String(q.queued);
  pill.dataset.maxParallel = String(q.max_parallel);
  pill.classList.toggle("busy", q.running > 0);
  fill(pill,
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "pill-text", text: t("{r} running · {q} queued", { r: q.running, q: q.queued }) }),
    el("span", { class: "pill-short", text: `${q.running} · ${q.queued}` }),
    el("span", { class: "muted pill-max", text: t(" · max {n}", { n: q.max_parallel }) }));
  pill.title = t("Engine queue: {r} running, {q} waiting, up to {n} at once. Click to see the queue.", { r: q.running, q: q.queued, n: q.max_parallel });
  const status = $("#queue-status");
  if (status) status.textContent = t("{r} running, {q} queued, up to {n} at once.", { r: q.running, q: q.queued, n: q.max_parallel });
  const input = $("#queue-form input[name=max_parallel]");
  if (input && document.activeElement !== input && !input.dataset.dirty) input.value = String(q.max_parallel);
}

export async function refreshQueue() {
  try {
    render(await api("/api/queue"));
  } catch (err) {
    if (err.status === 401) stopQueue();
    $("#queue-indicator").classList.add("hidden");
  }
}

export function startQueue() {
  refreshQueue();
  if (timer) return;
  timer = setInterval(() => { if (!document.hidden) refreshQueue(); }, 3000);
}

export function stopQueue() {
  clearInterval(timer);
  timer = null;
}

const KIND = { "images generate": "Generate", "images edit": "Edit", "transparent extract": "Transparent", "transparent generate": "Transparent", "transparent verify": "Verification", "request create": "Request" };
const kind = (job) => t(KIND[job.command] || job.command);
const DONE = { completed: "Done", failed: "Failed", cancelled: "Cancelled", partial_failed: "Partly done", interrupted: "Interrupted" };

function finishedRow(job, now) {
  const image = isImageJob(job);
  return el("button", { type: "button", class: "queue-row done", "data-job-id": job.id, "data-status": job.status, onclick: () => {
    $("#queue-drawer").close();
    if (image) actions.open(job, 0);
    else location.hash = "#history";
  } },
  image ? el("img", { class: "queue-thumb checker", src: outputUrl(job.id, 0), alt: "", loading: "lazy" }) : el("span", { class: `badge ${job.status}`, text: t(DONE[job.status] || job.status) }),
  el("div", { class: "queue-text" },
    el("strong", { text: promptOf(job) || kind(job) }),
    el("span", { class: "muted small", text: `${t(DONE[job.status] || job.status)} · ${kind(job)} · ${t("{t} ago", { t: elapsed(now - Number(job.updated_at || job.created_at || now)) })}` })));
}

async function renderDrawer() {
  const list = $("#queue-list");
  try {
    const [page, recent, q] = await Promise.all([api("/api/jobs?status=active&limit=50"), api("/api/jobs?limit=12").catch(() => ({ jobs: [] })), api("/api/queue").catch(() => null)]);
    if (q) render(q);
    const now = Date.now() / 1000;
    $("#queue-summary").textContent = current ? t("{r} running, {q} queued, up to {n} at once.", { r: current.running, q: current.queued, n: current.max_parallel }) : "";
    const finished = recent.jobs.filter((j) => !["queued", "running"].includes(j.status)).slice(0, 8);
    fill($("#queue-done"), finished.length ? finished.map((job) => finishedRow(job, now)) : el("p", { class: "muted small", text: t("Nothing yet.") }));
    if (!page.jobs.length) { fill(list, el("p", { class: "empty", text: t("Nothing is waiting. Jobs you start appear here until they finish.") })); return; }
    fill(list, page.jobs.map((job) => el("div", { class: "queue-row", "data-job-id": job.id, "data-status": job.status },
      el("span", { class: `badge ${job.status}`, text: job.status === "queued" ? t("Queued") : t("Working") }),
      el("div", { class: "queue-text" },
        el("strong", { text: promptOf(job) || kind(job) }),
        el("span", { class: "muted small", text: `${kind(job)} · ${job.provider || t("auto")} · ${elapsed(now - Number(job.created_at || now))}` })),
      el("button", { type: "button", class: "icon-btn", title: t("Cancel"), "aria-label": t("Cancel"), onclick: async (e) => {
        e.currentTarget.disabled = true;
        try { await api(`/api/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" }); renderDrawer(); refreshQueue(); }
        catch (err) { list.prepend(errorBlock(err)); }
      } }, icon("stop", 16)))));
  } catch (err) {
    fill(list, errorBlock(err));
  }
}

export function openQueue() {
  const drawer = $("#queue-drawer");
  if (!drawer.open) drawer.showModal();
  renderDrawer();
  clearInterval(drawerTimer);
  drawerTimer = setInterval(() => { if (drawer.open) renderDrawer(); else clearInterval(drawerTimer); }, 2000);
}

export function initQueue() {
  const form = $("#queue-form");
  const input = $("input[name=max_parallel]", form);
  input.addEventListener("input", () => { input.dataset.dirty = "1"; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, null);
    const value = Number(input.value);
    try {
      const q = await api("/api/queue/concurrency", { method: "POST", json: { max_parallel: value } });
      delete input.dataset.dirty;
      render(q);
      $("#queue-saved").textContent = t("Saved: up to {n} at once.", { n: q.max_parallel });
    } catch (err) {
      showError(form, err);
    }
  });
  $("#queue-indicator").addEventListener("click", openQueue);
  $("#open-queue").addEventListener("click", openQueue);
  $("#queue-close").addEventListener("click", () => $("#queue-drawer").close());
  document.addEventListener("job-started", refreshQueue);
  document.addEventListener("job-finished", refreshQueue);
  document.addEventListener("langchange", () => { if (current) render(current); });
}

export const queueState = () => current;
