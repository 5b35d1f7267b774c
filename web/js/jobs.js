// Live results: one card per job started here (or still running when the page
// opened), fed by Server-Sent Events from /api/jobs/{id}/events. The card shows the
// phase in plain words ("Sending to OpenAI…", "Receiving image…", "Removing
// background…") with the elapsed time, partial previews as they stream, then the
// image with its actions; a toast with a thumbnail says when it is done.

import { api, outputUrl, partialUrl } from "./api.js";
import { sentence } from "./errors.js";
import { icon } from "./icons.js";
import { elapsed, t } from "./i18n.js";
import { actionBar, actions, setTracker } from "./results.js";
import { toast } from "./toast.js";
import { $, el, errorBlock, fill, promptOf } from "./util.js";

const cards = new Map();
const TERMINAL = ["completed", "failed", "cancelled", "partial_failed", "interrupted"];
let ticker = null;

const PROVIDERS = { openai: "OpenAI", codex: "Codex", "openai-compatible": "OpenAI" };
const providerName = (data, state) => PROVIDERS[data.provider] || PROVIDERS[state.kind] || data.provider || t("the provider");

// The plain-language phase of one event, as [text, vars], or null to keep the current one.
function phaseOf(record, state) {
  const d = record.data || {};
  switch (record.type) {
    case "job.queued": return d.position > 1 ? ["Waiting in the queue (position {n})…", { n: d.position }] : ["Waiting in the queue…"];
    case "job.running": return ["Starting…"];
    case "request.started":
    case "request_started": return ["Sending to {provider}…", { provider: providerName(d, state) }];
    case "multipart_prepared": return ["Uploading your images to {provider}…", { provider: providerName(d, state) }];
    case "auth_refresh_started": return ["Renewing your Codex sign-in…"];
    case "auth_refresh_completed": return ["Signed in again; sending…"];
    case "response_created": return ["{provider} is drawing…", { provider: providerName(d, state) }];
    case "partial_image": return ["Receiving image… (preview {n})", { n: (d.partial_image_index ?? state.partials - 1) + 1 }];
    case "output_item_done":
    case "response_completed":
    case "request_completed": return ["Receiving image…"];
    case "retry_scheduled": return ["{provider} is busy; trying again in {s}s (attempt {n} of {max})…", { provider: providerName(d, state), s: d.delay_seconds ?? "?", n: d.retry_number ?? state.retries, max: d.max_retries ?? "?" }];
    case "source_saved": return ["Source image received; removing background…"];
    case "decode": return ["Reading the image…"];
    case "key":
    case "encode":
    case "dual_fallback": return ["Removing background…"];
    case "verify":
    case "verify_started": return ["Checking the transparent result…"];
    case "verify_completed":
    case "done": return ["Finishing…"];
    case "output_saved": return ["Saving…"];
    case "recovery_started": return ["Finishing from the saved answer…"];
    default: return null;
  }
}

const STATUS = {
  queued: "Queued", running: "Working", completed: "Done", failed: "Failed", cancelled: "Cancelled",
  canceled: "Cancelled", partial_failed: "Partly done", interrupted: "Interrupted",
};

function setStatus(state, status) {
  state.status = status;
  state.node.dataset.status = status;
  const badge = $(".badge", state.node);
  badge.textContent = t(STATUS[status] || status);
  badge.className = `badge ${status}`;
}

function renderPhase(state) {
  const message = $(".job-message", state.node);
  message.textContent = state.phase ? t(state.phase[0], state.phase[1]) : "";
}

function tick() {
  const now = Date.now();
  let active = 0;
  for (const state of cards.values()) {
    if (state.done) continue;
    active += 1;
    $(".job-elapsed", state.node).textContent = elapsed((now - state.started) / 1000);
  }
  if (!active) { clearInterval(ticker); ticker = null; }
}

function ensureTicker() {
  if (!ticker) ticker = setInterval(tick, 1000);
  tick();
}

function card(jobId, title) {
  const cancel = el("button", { type: "button", class: "btn small ghost cancel" }, icon("stop", 14), el("span", { text: t("Cancel") }));
  const node = el("article", { class: "job", "data-job-id": jobId, "data-status": "queued" },
    el("div", { class: "job-visual checker" },
      el("div", { class: "job-placeholder" }, el("span", { class: "spinner", "aria-hidden": "true" })),
      el("img", { class: "job-preview hidden", alt: "" }),
      el("div", { class: "job-overlay" }, el("span", { class: "job-message" }), el("span", { class: "job-elapsed" }))),
    el("div", { class: "job-body" },
      el("header", {}, el("strong", { class: "job-title", title, text: title }), el("span", { class: "badge" })),
      el("div", { class: "progress" }, el("div", { class: "bar indeterminate" })),
      el("p", { class: "job-retries warn hidden" }),
      el("div", { class: "thumbs" }),
      el("div", { class: "job-error" }),
      el("div", { class: "row job-actions" }, cancel)));
  cancel.addEventListener("click", async () => {
    try { await api(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" }); }
    catch (err) { fill($(".job-error", node), errorBlock(err)); }
  });
  return node;
}

export function trackJob(jobId, { title = "", onDone = null, firstEvents = [], started = Date.now(), kind = "" } = {}) {
  if (cards.has(jobId)) return cards.get(jobId);
  const node = card(jobId, title || jobId);
  $("#jobs").prepend(node);
  $("#jobs-empty").classList.add("hidden");
  const state = { node, jobId, title, retries: 0, partials: 0, done: false, onDone, source: null, started, phase: ["Waiting in the queue…"], kind, status: "queued" };
  cards.set(jobId, state);
  setStatus(state, "queued");
  renderPhase(state);
  for (const record of firstEvents) apply(state, record);
  connect(state);
  ensureTicker();
  document.dispatchEvent(new CustomEvent("job-started", { detail: { job_id: jobId } }));
  return state;
}
setTracker((jobId, opts) => trackJob(jobId, opts));

function connect(state) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(state.jobId)}/events`);
  state.source = source;
  source.onmessage = (message) => {
    const record = JSON.parse(message.data);
    apply(state, record);
    if (record.terminal) source.close();
  };
  source.addEventListener("error", async (event) => {
    if (event.data) {  // the gateway's own `event: error`: the watch failed
      const body = JSON.parse(event.data);
      state.phase = ["Connection to the engine lost; reconnecting…"];
      renderPhase(state);
      source.close();
      if (body.error && body.error.code !== "engine_unavailable") fill($(".job-error", state.node), errorBlock(body.error));
      setTimeout(() => !state.done && connect(state), 3000);
      return;
    }
    if (state.done) return;
    if (source.readyState === EventSource.CLOSED) {
      // Not a stream (401, 404, 503...): ask why, then try again later.
      try {
        const job = await api(`/api/jobs/${encodeURIComponent(state.jobId)}`);
        if (TERMINAL.includes(job.job.status)) {
          for (const record of job.events) apply(state, record);
          return;
        }
      } catch (err) {
        fill($(".job-error", state.node), errorBlock(err));
        if (err.status === 404) return;
      }
      setTimeout(() => !state.done && connect(state), 3000);
    } else {
      state.phase = ["Connection lost; reconnecting…"];
      renderPhase(state);
    }
  });
}

function showPreview(state, url, cls) {
  const img = $(".job-preview", state.node);
  img.classList.remove("hidden", "partial-live", "output-live");
  img.classList.add(cls);
  img.src = url;
  $(".job-placeholder", state.node).classList.add("hidden");
}

function apply(state, record) {
  const { node } = state;
  const data = record.data || {};
  const bar = $(".bar", node);
  node.dataset.seq = record.seq;
  if (record.kind === "sse") return;  // the provider's raw stream, mirrored in the history only
  if (record.type === "job.queued") setStatus(state, "queued");
  if (record.type === "job.running" || (state.status === "queued" && record.kind === "progress")) setStatus(state, "running");
  if (record.type === "retry_scheduled") {
    state.retries += 1;
    const retries = $(".job-retries", node);
    retries.classList.remove("hidden");
    retries.textContent = t("Retry {n} of {max}: the provider did not answer cleanly.", { n: data.retry_number || state.retries, max: data.max_retries || "?" });
  }
  if (record.type === "partial_image") {
    state.partials += 1;
    node.dataset.partials = String(state.partials);
    const index = data.partial_image_index ?? state.partials - 1;
    const url = partialUrl(state.jobId, index);
    showPreview(state, url, "partial-live");
    $(".thumbs", node).append(el("img", { class: "partial checker", src: url, alt: t("Preview {n}", { n: index + 1 }), title: t("Partial preview") }));
  }
  const phase = phaseOf(record, state);
  if (phase) { state.phase = phase; renderPhase(state); }
  if (typeof data.percent === "number" && data.percent > 0 && data.percent < 100) {
    bar.classList.remove("indeterminate");
    bar.style.width = `${Math.min(100, data.percent)}%`;
  }
  if (record.terminal) finish(state, record);
}

function finish(state, record) {
  const { node, jobId } = state;
  state.done = true;
  const status = record.status || "completed";
  setStatus(state, status);
  const bar = $(".bar", node);
  bar.classList.remove("indeterminate");
  bar.style.width = "100%";
  $(".job-elapsed", node).textContent = elapsed((Date.now() - state.started) / 1000);
  const artifacts = record.artifacts || [];
  const outputs = artifacts.filter((a) => a.role === "output");
  state.phase = status === "completed" ? ["Done in {time}", { time: elapsed((Date.now() - state.started) / 1000) }]
    : status === "cancelled" ? ["Cancelled"] : status === "partial_failed" ? ["Some images failed"] : ["Failed"];
  renderPhase(state);
  if (record.error) fill($(".job-error", node), errorBlock(record.error));
  const job = { id: jobId, command: state.kind || record.command || "", status, metadata: { request: { prompt: state.title } } };
  if (outputs.length) {
    showPreview(state, outputUrl(jobId, outputs[0].index), "output-live");
    const preview = $(".job-preview", node);
    preview.classList.add("output");
    preview.alt = state.title;
    preview.onclick = () => actions.open(job, outputs[0].index);
  } else if (!state.partials) {
    $(".job-placeholder", node).classList.add("failed-visual");
  }
  const thumbs = $(".thumbs", node);
  for (const ref of outputs.slice(1)) {
    thumbs.append(el("img", { class: "output checker", src: outputUrl(jobId, ref.index), alt: t("Image {n}", { n: ref.index + 1 }), onclick: () => actions.open(job, ref.index) }));
  }
  if (outputs.length === 1 && thumbs.querySelectorAll("img.partial").length === 0) thumbs.classList.add("hidden");
  const row = $(".job-actions", node);
  row.replaceChildren();
  // The full job (command, request) for the actions, fetched once.
  api(`/api/jobs/${encodeURIComponent(jobId)}`).then((full) => {
    Object.assign(job, full.job);
    if (!outputs.length) row.replaceChildren(...actionBar(job, 0, { only: ["retry", "remove"] }).childNodes);
    else row.replaceChildren(actionBar(job, outputs[0].index, { artifacts: full.artifacts }));
  }).catch(() => { if (outputs.length) row.append(actionBar(job, outputs[0].index, { only: ["open", "download"] })); });
  if (status === "completed" || status === "partial_failed") {
    toast({
      title: status === "completed" ? t("Image ready") : t("Some images are ready"),
      body: state.title,
      image: outputs.length ? outputUrl(jobId, outputs[0].index) : null,
      kind: "ok",
      action: outputs.length ? { label: t("View"), run: () => actions.open(job, outputs[0].index) } : null,
    });
  } else if (status === "failed") {
    toast({ title: t("The job failed"), body: record.error ? sentence(record.error) : state.title, kind: "error" });
  }
  if (state.onDone) state.onDone(record);
  document.dispatchEvent(new CustomEvent("job-finished", { detail: record }));
}

export async function resumeActiveJobs() {
  try {
    const page = await api("/api/jobs?status=active&limit=20");
    for (const job of page.jobs.reverse()) {
      trackJob(job.id, { title: promptOf(job) || job.command, started: Number(job.created_at) * 1000 || Date.now(), kind: job.command });
    }
  } catch { /* the banner says why */ }
}

document.addEventListener("langchange", () => {
  for (const state of cards.values()) { setStatus(state, state.status); renderPhase(state); }
});
document.addEventListener("job-deleted", (e) => {
  const state = cards.get(e.detail.job_id);
  if (!state) return;
  state.node.remove();
  cards.delete(e.detail.job_id);
  if (!cards.size) $("#jobs-empty").classList.remove("hidden");
});

export const activeCount = () => [...cards.values()].filter((s) => !s.done).length;

// How many of this page's jobs are still at work, on the tab they were started from.
const TAB_OF = { "images generate": "generate", "images edit": "edit", "transparent extract": "transparent", "transparent generate": "transparent" };
function tabBadges() {
  const counts = {};
  for (const s of cards.values()) if (!s.done && TAB_OF[s.kind]) counts[TAB_OF[s.kind]] = (counts[TAB_OF[s.kind]] || 0) + 1;
  for (const link of document.querySelectorAll("#tabs a[data-tab]")) {
    let badge = link.querySelector(".tab-badge");
    const n = counts[link.dataset.tab] || 0;
    if (!n) { if (badge) badge.remove(); continue; }
    if (!badge) { badge = el("span", { class: "tab-badge" }); link.append(badge); }
    badge.textContent = String(n);
    badge.title = t("{n} at work", { n });
  }
}
document.addEventListener("job-started", tabBadges);
document.addEventListener("job-finished", tabBadges);
