// The history gallery: search, status filter, infinite scroll by cursor, and a
// details dialog with images, metadata, events, download, cancel and delete.

import { api, outputUrl } from "./api.js";
import { $, debounce, el, when } from "./util.js";

const state = { cursor: null, hasMore: true, loading: false, generation: 0 };
const MARGIN = 400;  // px below the viewport at which the next page loads
let observer = null;
const TERMINAL = ["completed", "failed", "cancelled", "partial_failed", "interrupted"];

function promptOf(job) {
  const request = (job.metadata && job.metadata.request) || {};
  return request.prompt || job.metadata?.prompt || job.command;
}

function tile(job) {
  const hasImage = job.status === "completed" || job.status === "partial_failed";
  const thumb = el("div", { class: "thumb checker" },
    hasImage && job.output_path !== null ? el("img", { src: outputUrl(job.id, 0), alt: promptOf(job), loading: "lazy" }) : el("span", { class: "muted", text: job.status }));
  const img = thumb.querySelector("img");
  if (img) img.addEventListener("error", () => img.replaceWith(el("span", { class: "muted", text: "no image" })));
  return el("button", { type: "button", class: "tile", "data-job-id": job.id, "data-status": job.status, onclick: () => openDetails(job.id) },
    thumb,
    el("div", { class: "meta" },
      el("div", { class: "prompt", text: promptOf(job) }),
      el("div", { class: "muted", text: `${job.status} · ${job.provider || ""} · ${when(job.created_at)}` })));
}

export async function loadMore(reset = false) {
  if (reset) {
    state.generation += 1;
    state.cursor = null;
    state.hasMore = true;
    state.loading = false;
    $("#gallery").replaceChildren();
  }
  if (state.loading || !state.hasMore) return;
  state.loading = true;
  const generation = state.generation;
  const params = new URLSearchParams({ limit: "24" });
  const q = $("#history-q").value.trim();
  const status = $("#history-status").value;
  if (q) params.set("q", q);
  if (status) params.set("status", status);
  if (state.cursor) params.set("cursor", state.cursor);
  try {
    const page = await api(`/api/jobs?${params}`);
    if (generation !== state.generation) return;
    for (const job of page.jobs) $("#gallery").append(tile(job));
    $("#gallery").dataset.query = q;  // what the tiles shown answer (tests wait on it)
    state.cursor = page.next_cursor;
    state.hasMore = page.has_more;
    $("#history-total").textContent = `${page.total} job${page.total === 1 ? "" : "s"}`;
    $("#gallery-end").textContent = state.hasMore ? "Loading more…" : page.total ? "End of history" : "No jobs match.";
  } catch (err) {
    $("#gallery-end").textContent = err.message;
  } finally {
    if (generation === state.generation) state.loading = false;
  }
  // Keep filling while the sentinel is still within the observer's margin, and
  // re-arm the observer: it only reports changes, and a sentinel that stayed
  // "intersecting" through a load (or moved as thumbnails loaded) would otherwise
  // never trigger the next page.
  if (state.hasMore && isNear($("#gallery-end"))) loadMore();
  else if (observer) { observer.unobserve($("#gallery-end")); observer.observe($("#gallery-end")); }
}

function isNear(node) {
  const box = node.getBoundingClientRect();
  return box.top < window.innerHeight + MARGIN && box.bottom > -MARGIN && node.offsetParent !== null;
}

async function openDetails(jobId) {
  const dialog = $("#details");
  const body = $("#details-body");
  body.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
  if (!dialog.open) dialog.showModal();
  let data;
  try {
    data = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
  } catch (err) {
    body.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  const { job, events, artifacts } = data;
  const outputs = artifacts.filter((a) => a.role === "output");
  const request = (job.metadata && job.metadata.request) || {};
  const fields = { id: job.id, command: job.command, status: job.status, provider: job.provider, created: when(job.created_at), ...request };
  const error = job.error || (job.metadata && job.metadata.error);
  body.replaceChildren(
    el("h2", { text: promptOf(job) }),
    el("div", { class: "images" }, outputs.map((ref) => el("img", { class: "checker", src: outputUrl(job.id, ref.index), alt: `output ${ref.index}` }))),
    el("div", { class: "row" },
      outputs.map((ref) => el("a", { href: `${outputUrl(job.id, ref.index)}?download=1`, download: ref.name, class: "link", text: `Download ${ref.name}` })),
      TERMINAL.includes(job.status) ? null : el("button", { type: "button", class: "secondary", text: "Cancel", onclick: async () => { await api(`/api/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" }); openDetails(job.id); } }),
      el("button", { type: "button", class: "danger", id: "delete-job", text: "Delete", onclick: () => remove(job.id) })),
    error ? el("p", { class: "error", text: typeof error === "string" ? error : `${error.message} (${error.code})` }) : null,
    el("dl", {}, Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== "" && typeof v !== "object")
      .map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])),
    el("details", {}, el("summary", { text: `Events (${events.length})` }),
      el("ol", { class: "events" }, events.map((e) => el("li", { text: `${e.seq} ${e.type}${e.data && e.data.message ? ` — ${e.data.message}` : ""}` })))),
    el("p", { class: "error", id: "details-error" }),
  );
}

async function remove(jobId) {
  if (!window.confirm("Delete this job and its files?")) return;
  try {
    await api(`/api/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" });
    $("#details").close();
    const node = $(`.tile[data-job-id="${CSS.escape(jobId)}"]`);
    if (node) node.remove();
    loadMore(true);
  } catch (err) {
    $("#details-error").textContent = err.message;
  }
}

// A job finished while the gallery is showing: refresh its tile in place, or, for a
// job not shown yet, reload the first page only while the reader is at the top
// (reloading would otherwise throw away the pages scrolled through).
async function refreshJob(jobId) {
  const node = $(`.tile[data-job-id="${CSS.escape(jobId)}"]`);
  if (!node) {
    if (window.scrollY < 200) loadMore(true);
    return;
  }
  try {
    const { job } = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
    if (node.isConnected) node.replaceWith(tile(job));
  } catch { /* deleted meanwhile */ }
}

export function initHistory() {
  $("#history-q").addEventListener("input", debounce(() => loadMore(true), 250));
  $("#history-status").addEventListener("change", () => loadMore(true));
  observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: `${MARGIN}px` });
  observer.observe($("#gallery-end"));
  document.addEventListener("job-finished", (event) => { if (!$("#view-history").classList.contains("hidden")) refreshJob(event.detail.job_id); });
}
