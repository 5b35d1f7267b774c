// The history: search, status filter, infinite scroll by cursor, tiles that open the
// large view (a verification shows its report instead of a blank image), and a details
// dialog with images, request, events, every result action, cancel, delete, retry and
// the recovery actions (resume) of a job that did not complete.

import { api, outputUrl } from "./api.js";
import { icon } from "./icons.js";
import { t, when } from "./i18n.js";
import { trackJob } from "./jobs.js";
import { actionBar, actions, isImageJob, outputsOf } from "./results.js";
import { $, debounce, el, errorBlock, fill, promptOf } from "./util.js";

const state = { cursor: null, hasMore: true, loading: false, generation: 0 };
const MARGIN = 400;  // px below the viewport at which the next page loads
let observer = null;
const TERMINAL = ["completed", "failed", "cancelled", "partial_failed", "interrupted"];
const RECOVERABLE = ["failed", "cancelled", "interrupted", "partial_failed"];
const STATUS = { queued: "Queued", running: "Working", completed: "Done", failed: "Failed", cancelled: "Cancelled", partial_failed: "Partly done", interrupted: "Interrupted" };
const COMMAND = { "images generate": "Generate", "images edit": "Edit", "transparent extract": "Transparent", "transparent generate": "Transparent", "transparent verify": "Verification", "request create": "Request" };

const titleOf = (job) => promptOf(job) || t(COMMAND[job.command] || "Job");

function report(job) {
  const v = (job.metadata && job.metadata.verification) || {};
  const passed = v.passed;
  return el("div", { class: `report ${passed ? "pass" : "fail"}` },
    icon(passed ? "check" : "alert", 28),
    el("strong", { text: passed ? t("Transparency check passed") : t("Transparency check failed") }),
    el("span", { class: "small", text: [
      v.width && v.height ? `${v.width}×${v.height}` : "",
      typeof v.quality_score === "number" ? t("quality {n}", { n: v.quality_score.toFixed(2) }) : "",
      typeof v.transparent_ratio === "number" ? t("{n}% transparent", { n: Math.round(v.transparent_ratio * 100) }) : "",
    ].filter(Boolean).join(" · ") }));
}

function tile(job) {
  let thumb;
  if (job.command === "transparent verify") thumb = el("div", { class: "thumb" }, report(job));
  else if (isImageJob(job) && job.output_path !== null) {
    thumb = el("div", { class: "thumb checker" }, el("img", { src: outputUrl(job.id, 0), alt: titleOf(job), loading: "lazy" }));
    const img = thumb.querySelector("img");
    img.addEventListener("error", () => img.replaceWith(el("span", { class: "muted", text: t("no image") })));
  } else {
    thumb = el("div", { class: `thumb state ${job.status}` }, icon(job.status === "failed" || job.status === "interrupted" ? "alert" : job.status === "cancelled" ? "stop" : "history", 28), el("span", { text: t(STATUS[job.status] || job.status) }));
  }
  return el("button", { type: "button", class: "tile", "data-job-id": job.id, "data-status": job.status, "data-command": job.command, onclick: () => openDetails(job.id) },
    thumb,
    el("div", { class: "meta" },
      el("div", { class: "prompt", text: titleOf(job) }),
      el("div", { class: "muted small" },
        el("span", { class: `badge ${job.status}`, text: t(STATUS[job.status] || job.status) }),
        ` ${t(COMMAND[job.command] || job.command)} · ${job.provider || ""} · ${when(job.created_at)}`)));
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
    $("#history-total").textContent = t("{n} jobs", { n: page.total });
    $("#gallery-end").textContent = state.hasMore ? t("Loading more…") : page.total ? t("End of history") : t("No jobs match.");
  } catch (err) {
    fill($("#gallery-end"), errorBlock(err));
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

function fieldRows(job) {
  const request = (job.metadata && job.metadata.request) || {};
  const fields = { [t("Job")]: job.id, [t("Kind")]: t(COMMAND[job.command] || job.command), [t("Status")]: t(STATUS[job.status] || job.status), [t("Provider")]: job.provider, [t("Created")]: when(job.created_at) };
  for (const [k, v] of Object.entries(request)) if (k !== "prompt") fields[k] = v;
  return Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== "" && typeof v !== "object")
    .map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]);
}

async function openDetails(jobId) {
  const dialog = $("#details");
  const body = $("#details-body");
  body.replaceChildren(el("p", { class: "muted", text: t("Loading…") }));
  if (!dialog.open) dialog.showModal();
  let data;
  try {
    data = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
  } catch (err) {
    fill(body, errorBlock(err));
    return;
  }
  const { job, events, artifacts } = data;
  body.dataset.jobId = job.id;
  const outputs = outputsOf(job, artifacts);
  const error = job.error || (job.metadata && job.metadata.error);
  const images = job.command === "transparent verify" ? [report(job)] : outputs.map((ref) => el("button", { type: "button", class: "details-image checker", title: t("Open large"), onclick: () => { dialog.close(); actions.open(job, ref.index, artifacts); } },
    el("img", { src: outputUrl(job.id, ref.index), alt: t("Image {n}", { n: ref.index + 1 }) })));
  fill(body,
    el("h2", { class: "details-title", text: titleOf(job) }),
    el("div", { class: "images" }, images),
    outputs.length ? actionBar(job, outputs[0].index, { artifacts, only: ["open", "download", "copy", "edit", "reuse", "transparent"] }) : null,
    el("div", { class: "row" },
      TERMINAL.includes(job.status) ? null : el("button", { type: "button", class: "btn ghost", text: t("Cancel"), onclick: async () => { await api(`/api/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" }); openDetails(job.id); } }),
      TERMINAL.includes(job.status) && job.command !== "transparent verify" ? el("button", { type: "button", class: "btn ghost", id: "retry-job", title: t("Run the same request again as a new job (calls the provider again)"), onclick: (e) => retry(job, e.currentTarget) }, icon("retry", 16), el("span", { text: t("Retry") })) : null,
      el("button", { type: "button", class: "btn danger", id: "delete-job", onclick: () => remove(job.id) }, icon("trash", 16), el("span", { text: t("Delete") }))),
    TERMINAL.includes(job.status) && job.command !== "transparent verify" ? el("p", { class: "muted small", text: t("Retry sends the same request to the provider again: it may be billed.") }) : null,
    el("p", { class: "notice", id: "details-status", role: "status" }),
    error ? (typeof error === "string" ? el("p", { class: "error", text: error }) : errorBlock(error)) : null,
    RECOVERABLE.includes(job.status) ? el("section", { class: "recovery", id: "recovery" }, el("p", { class: "muted", text: t("Checking what can be recovered…") })) : null,
    el("dl", {}, fieldRows(job)),
    el("details", {}, el("summary", { text: t("Events ({n})", { n: events.length }) }),
      el("ol", { class: "events" }, events.map((e) => el("li", { text: `${e.seq} ${e.type}${e.data && e.data.message ? ` — ${e.data.message}` : ""}` })))),
    el("p", { class: "error", id: "details-error" }),
  );
  body.querySelectorAll("[data-act=edit], [data-act=reuse]").forEach((b) => b.addEventListener("click", () => dialog.close()));
  if (RECOVERABLE.includes(job.status)) showRecovery(job);
}

function started(reply, label) {
  const status = $("#details-status");
  status.replaceChildren(t("{label}: started job ", { label }), el("code", { text: reply.job_id }), t(" — follow it under Results."));
  status.dataset.newJob = reply.job_id;
}

function detailsError(err) {
  fill($("#details-error"), errorBlock(err));
}

async function retry(job, button) {
  button.disabled = true;
  $("#details-error").textContent = "";
  try {
    const reply = await api(`/api/jobs/${encodeURIComponent(job.id)}/retry`, { method: "POST" });
    trackJob(reply.job_id, { title: t("Retry: {prompt}", { prompt: titleOf(job) }), firstEvents: reply.events, kind: job.command });
    started(reply, t("Retry"));
  } catch (err) {
    detailsError(err);
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
    if (box) fill(box, errorBlock(err));
    return;
  }
  const box = $("#recovery");
  if (!box || $("#details-body").dataset.jobId !== job.id) return;  // another job was opened meanwhile
  const discarded = job.metadata && job.metadata.discarded_at;
  const actions = [];
  if (recovery.primary_action) actions.push({ ...recovery.primary_action, primary: true });
  for (const a of recovery.secondary_actions || []) if (!actions.some((b) => b.id === a.id)) actions.push(a);
  if (!discarded) actions.push({ id: "discard", label: t("Discard"), billable: false, warning: t("Marks the job as given up; its files stay until you delete it.") });
  const ev = recovery.evidence || {};
  box.dataset.recoverability = recovery.recoverability;
  fill(box,
    el("h3", { text: t("Recovery") }),
    el("p", {}, t(EXPLAIN[recovery.recoverability] || "What can be done:"), " ", el("code", { class: "muted", text: recovery.recoverability })),
    discarded ? el("p", { class: "muted", text: t("Discarded {when}", { when: when(discarded) || discarded }) }) : null,
    el("ul", { class: "evidence muted" },
      el("li", { text: t("Request sent to the provider: {v}", { v: ev.request_dispatched ? t("yes") : t("no") }) }),
      el("li", { text: t("Saved provider answer: {v}", { v: ev.raw_response_present ? t("yes ({n} bytes)", { n: ev.raw_response_bytes }) : t("none") }) }),
      el("li", { text: t("Images on disk: {n} of {m}", { n: ev.outputs_present ?? 0, m: ev.outputs_expected ?? "?" }) }),
      ev.interrupted_reason ? el("li", { text: t("Interrupted: {why}", { why: ev.interrupted_reason }) }) : null),
    el("div", { class: "actions" }, actions.map((a) => el("div", { class: "action" },
      el("button", { type: "button", class: a.primary && a.id !== "discard" ? "btn primary" : "btn ghost", "data-action": a.id, text: t(a.label || a.id), onclick: (e) => resume(job, a, e.currentTarget) }),
      a.billable ? el("span", { class: "billable", text: t("Billable: {why}", { why: t(a.warning || "calls the provider again, which may be charged.") }) })
        : el("span", { class: "muted", text: a.id === "continue_save" ? t("No provider call, not billed.") : t(a.warning || "") })))),
  );
}

async function resume(job, action, button) {
  if (action.billable && !window.confirm(t("{label}: {why}. Continue?", { label: t(action.label || action.id), why: t(action.warning || "this calls the provider again and may be billed") }))) return;
  if (action.id === "discard" && !window.confirm(t("Discard this job? It will no longer be offered for recovery."))) return;
  button.disabled = true;
  $("#details-error").textContent = "";
  try {
    const reply = await api(`/api/jobs/${encodeURIComponent(job.id)}/resume`, { method: "POST", json: { action: action.id } });
    if (reply.queued) {
      trackJob(reply.job_id, { title: `${t(action.label || action.id)}: ${titleOf(job)}`, firstEvents: reply.events, kind: job.command });
      started(reply, t(action.label || action.id));
    } else {
      await openDetails(job.id);
      $("#details-status").textContent = t("Discarded.");
    }
  } catch (err) {
    detailsError(err);
  } finally {
    button.disabled = false;
  }
}

async function remove(jobId) {
  if (!window.confirm(t("Delete this job and its images? This cannot be undone."))) return;
  try {
    await api(`/api/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" });
    $("#details").close();
    document.dispatchEvent(new CustomEvent("job-deleted", { detail: { job_id: jobId } }));
  } catch (err) {
    detailsError(err);
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
  document.addEventListener("job-deleted", (event) => {
    const node = $(`.tile[data-job-id="${CSS.escape(event.detail.job_id)}"]`);
    if (node) node.remove();
    if (!$("#view-history").classList.contains("hidden")) loadMore(true);
  });
  document.addEventListener("langchange", () => { if (!$("#view-history").classList.contains("hidden")) loadMore(true); });
}
