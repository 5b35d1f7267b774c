// The history gallery: search, status filter, infinite scroll by cursor, and a
// details dialog with images, metadata, events, download, cancel, delete, retry
// and the recovery actions (resume) of a job that did not complete.

import { api, outputUrl } from "./api.js";
import { trackJob } from "./jobs.js";
import { $, debounce, el, fill, when } from "./util.js";

const state = { cursor: null, hasMore: true, loading: false, generation: 0 };
const MARGIN = 400;  // px below the viewport at which the next page loads
let observer = null;
const TERMINAL = ["completed", "failed", "cancelled", "partial_failed", "interrupted"];
const RECOVERABLE = ["failed", "cancelled", "interrupted", "partial_failed"];

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
  body.dataset.jobId = job.id;
  const outputs = artifacts.filter((a) => a.role === "output");
  const request = (job.metadata && job.metadata.request) || {};
  const fields = { id: job.id, command: job.command, status: job.status, provider: job.provider, created: when(job.created_at), ...request };
  const error = job.error || (job.metadata && job.metadata.error);
  fill(body,
    el("h2", { text: promptOf(job) }),
    el("div", { class: "images" }, outputs.map((ref) => el("img", { class: "checker", src: outputUrl(job.id, ref.index), alt: `output ${ref.index}` }))),
    el("div", { class: "row" },
      outputs.map((ref) => el("a", { href: `${outputUrl(job.id, ref.index)}?download=1`, download: ref.name, class: "link", text: `Download ${ref.name}` })),
      TERMINAL.includes(job.status) ? null : el("button", { type: "button", class: "secondary", text: "Cancel", onclick: async () => { await api(`/api/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" }); openDetails(job.id); } }),
      TERMINAL.includes(job.status) ? el("button", { type: "button", class: "secondary", id: "retry-job", text: "Retry", title: "Run the same request again as a new job (calls the provider again)", onclick: (e) => retry(job, e.currentTarget) }) : null,
      el("button", { type: "button", class: "danger", id: "delete-job", text: "Delete", onclick: () => remove(job.id) })),
    TERMINAL.includes(job.status) ? el("p", { class: "muted small", text: "Retry sends the same request to the provider again: it may be billed." }) : null,
    el("p", { class: "notice", id: "details-status", role: "status" }),
    error ? el("p", { class: "error", text: typeof error === "string" ? error : `${error.message} (${error.code})` }) : null,
    RECOVERABLE.includes(job.status) ? el("section", { class: "recovery", id: "recovery" }, el("p", { class: "muted", text: "Checking what can be recovered…" })) : null,
    el("dl", {}, Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== "" && typeof v !== "object")
      .map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })])),
    el("details", {}, el("summary", { text: `Events (${events.length})` }),
      el("ol", { class: "events" }, events.map((e) => el("li", { text: `${e.seq} ${e.type}${e.data && e.data.message ? ` — ${e.data.message}` : ""}` })))),
    el("p", { class: "error", id: "details-error" }),
  );
  if (RECOVERABLE.includes(job.status)) showRecovery(job);
}

function started(reply, label) {
  const status = $("#details-status");
  status.replaceChildren(`${label}: started job `, el("code", { text: reply.job_id }), " — follow it in the Jobs panel.");
  status.dataset.newJob = reply.job_id;
}

async function retry(job, button) {
  button.disabled = true;
  $("#details-error").textContent = "";
  try {
    const reply = await api(`/api/jobs/${encodeURIComponent(job.id)}/retry`, { method: "POST" });
    trackJob(reply.job_id, { title: `Retry: ${promptOf(job)}`, firstEvents: reply.events });
    started(reply, "Retry");
  } catch (err) {
    $("#details-error").textContent = `${err.message} (${err.code})`;
  } finally {
    button.disabled = false;
  }
}

// ---- recovery: what the engine says can be done for a job that did not complete

const EXPLAIN = {
  "completed": "Completed: nothing to recover.",
  "in_progress": "Still running.",
  "recoverable.local_response_cached": "The provider's answer was saved locally: the images can be finished without calling the provider again.",
  "recoverable.never_dispatched": "The request never left the engine: sending it is safe.",
  "ambiguous.remote_maybe_accepted": "The request was sent but no answer was kept: the provider may already have accepted (and billed) it.",
  "terminal.provider_rejected": "The provider refused the request; sending it again unchanged would fail the same way.",
  "terminal.user_cancelled": "Cancelled before the provider was called.",
  "terminal.local_recovery_unavailable": "Nothing was saved to finish from.",
};

async function showRecovery(job) {
  let recovery;
  try {
    recovery = await api(`/api/jobs/${encodeURIComponent(job.id)}/recovery`);
  } catch (err) {
    const box = $("#recovery");
    if (box) box.replaceChildren(el("p", { class: "error", text: `Recovery: ${err.message}` }));
    return;
  }
  const box = $("#recovery");
  if (!box || $("#details-body").dataset.jobId !== job.id) return;  // another job was opened meanwhile
  const discarded = job.metadata && job.metadata.discarded_at;
  const actions = [];
  if (recovery.primary_action) actions.push({ ...recovery.primary_action, primary: true });
  for (const a of recovery.secondary_actions || []) if (!actions.some((b) => b.id === a.id)) actions.push(a);
  if (!discarded) actions.push({ id: "discard", label: "Discard", billable: false, warning: "Marks the job as given up; its files stay until you delete it." });
  const ev = recovery.evidence || {};
  box.dataset.recoverability = recovery.recoverability;
  fill(box,
    el("h3", { text: "Recovery" }),
    el("p", {}, el("code", { text: recovery.recoverability }), " — ", EXPLAIN[recovery.recoverability] || ""),
    discarded ? el("p", { class: "muted", text: `Discarded ${when(discarded) || discarded}` }) : null,
    el("ul", { class: "evidence muted" },
      el("li", { text: `Request sent to the provider: ${ev.request_dispatched ? "yes" : "no"}` }),
      el("li", { text: `Saved provider answer: ${ev.raw_response_present ? `yes (${ev.raw_response_bytes} bytes)` : "none"}` }),
      el("li", { text: `Outputs on disk: ${ev.outputs_present ?? 0} of ${ev.outputs_expected ?? "?"}` }),
      ev.interrupted_reason ? el("li", { text: `Interrupted: ${ev.interrupted_reason}` }) : null),
    el("div", { class: "actions" }, actions.map((a) => el("div", { class: "action" },
      el("button", { type: "button", class: a.id === "discard" ? "secondary" : a.primary ? "" : "secondary", "data-action": a.id, text: a.label || a.id, onclick: (e) => resume(job, a, e.currentTarget) }),
      a.billable ? el("span", { class: "billable", text: `Billable: ${a.warning || "calls the provider again, which may be charged."}` })
        : el("span", { class: "muted", text: a.id === "continue_save" ? "No provider call, not billed." : a.warning || "" })))),
  );
}

async function resume(job, action, button) {
  if (action.billable && !window.confirm(`${action.label || action.id}: ${action.warning || "this calls the provider again and may be billed"}. Continue?`)) return;
  if (action.id === "discard" && !window.confirm("Discard this job? It will no longer be offered for recovery.")) return;
  button.disabled = true;
  $("#details-error").textContent = "";
  try {
    const reply = await api(`/api/jobs/${encodeURIComponent(job.id)}/resume`, { method: "POST", json: { action: action.id } });
    if (reply.queued) {
      trackJob(reply.job_id, { title: `${action.label || action.id}: ${promptOf(job)}`, firstEvents: reply.events });
      started(reply, action.label || action.id);
    } else {
      await openDetails(job.id);
      $("#details-status").textContent = "Discarded.";
    }
  } catch (err) {
    $("#details-error").textContent = `${err.message} (${err.code})`;
  } finally {
    button.disabled = false;
  }
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
