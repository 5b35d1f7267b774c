// The live job panel: one card per job, fed by Server-Sent Events from
// /api/jobs/{id}/events (the browser resumes with Last-Event-ID on its own).
// Shows queue position, a progress bar, retries, partial previews and outputs.

import { api, outputUrl, partialUrl } from "./api.js";
import { $, el } from "./util.js";

const cards = new Map();

export function trackJob(jobId, { title = jobId, onDone = null, firstEvents = [] } = {}) {
  if (cards.has(jobId)) return cards.get(jobId);
  const node = $("#job-card").content.firstElementChild.cloneNode(true);
  node.dataset.jobId = jobId;
  $(".job-title", node).textContent = title;
  $(".job-title", node).title = title;
  $("#jobs").prepend(node);
  $("#jobs-empty").classList.add("hidden");
  const state = { node, jobId, retries: 0, partials: 0, done: false, onDone, source: null };
  cards.set(jobId, state);
  $(".cancel", node).addEventListener("click", async () => {
    try { await api(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" }); }
    catch (err) { $(".job-error", node).textContent = err.message; }
  });
  for (const record of firstEvents) apply(state, record);
  connect(state);
  document.dispatchEvent(new CustomEvent("job-started", { detail: { job_id: jobId } }));
  return state;
}

function connect(state) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(state.jobId)}/events`);
  state.source = source;
  source.onmessage = (message) => {
    const record = JSON.parse(message.data);
    apply(state, record);
    if (record.terminal) source.close();
  };
  source.addEventListener("error", async (event) => {
    if (event.data) {  // the gateway's own `event: error` message: the watch failed
      const body = JSON.parse(event.data);
      $(".job-error", state.node).textContent = body.error.message;
      source.close();
      setTimeout(() => !state.done && connect(state), 3000);
      return;
    }
    if (state.done) return;
    if (source.readyState === EventSource.CLOSED) {
      // Not a stream (401, 404, 503...): ask why, then try again later.
      try {
        const job = await api(`/api/jobs/${encodeURIComponent(state.jobId)}`);
        if (["completed", "failed", "cancelled", "partial_failed", "interrupted"].includes(job.job.status)) {
          for (const record of job.events) apply(state, record);
          return;
        }
      } catch (err) {
        $(".job-message", state.node).textContent = err.message;
        if (err.status === 404) return;
      }
      setTimeout(() => !state.done && connect(state), 3000);
    } else {
      $(".job-message", state.node).textContent = "Connection lost, reconnecting…";
    }
  });
}

function setBadge(node, status) {
  const badge = $(".badge", node);
  badge.textContent = status;
  badge.className = `badge ${status}`;
  node.dataset.status = status;
}

function apply(state, record) {
  const { node } = state;
  const data = record.data || {};
  const bar = $(".bar", node);
  const message = $(".job-message", node);
  node.dataset.seq = record.seq;
  switch (record.type) {
    case "job.queued":
      setBadge(node, "queued");
      message.textContent = data.position ? `Queued, position ${data.position}` : "Queued";
      bar.classList.add("indeterminate");
      break;
    case "job.running":
      setBadge(node, "running");
      message.textContent = "Running…";
      break;
    case "retry_scheduled": {
      state.retries += 1;
      const retries = $(".job-retries", node);
      retries.classList.remove("hidden");
      const delay = data.delay_seconds !== undefined ? ` in ${data.delay_seconds}s` : "";
      retries.textContent = `Retry ${data.retry_number || state.retries}/${data.max_retries || "?"}${delay}: ${data.reason || data.status_code || ""}`;
      break;
    }
    case "partial_image": {
      state.partials += 1;
      message.textContent = data.message || `Partial preview ${state.partials}`;
      node.dataset.partials = String(state.partials);
      break;
    }
    default:
      if (data.message) message.textContent = data.message;
  }
  if (typeof data.percent === "number") {
    bar.classList.remove("indeterminate");
    bar.style.width = `${Math.max(2, Math.min(100, data.percent))}%`;
  }
  if (record.terminal) finish(state, record);
}

function finish(state, record) {
  const { node, jobId } = state;
  state.done = true;
  setBadge(node, record.status || "completed");
  const bar = $(".bar", node);
  bar.classList.remove("indeterminate");
  bar.style.width = "100%";
  $(".cancel", node).classList.add("hidden");
  const message = $(".job-message", node);
  message.textContent = record.status === "completed" ? "Done" : record.status;
  if (record.error) $(".job-error", node).textContent = `${record.error.message} (${record.error.code})`;
  const thumbs = $(".thumbs", node);
  thumbs.replaceChildren();
  const artifacts = record.artifacts || [];
  for (const ref of artifacts.filter((a) => a.role === "partial")) {
    thumbs.append(el("img", { class: "partial checker", src: partialUrl(jobId, ref.index), alt: `partial ${ref.index}`, title: "partial preview" }));
  }
  for (const ref of artifacts.filter((a) => a.role === "output")) {
    const url = outputUrl(jobId, ref.index);
    thumbs.append(el("a", { href: url, target: "_blank", rel: "noopener" },
      el("img", { class: "checker output", src: url, alt: `output ${ref.index}` })));
  }
  if (state.onDone) state.onDone(record);
  document.dispatchEvent(new CustomEvent("job-finished", { detail: record }));
}

export async function resumeActiveJobs() {
  try {
    const page = await api("/api/jobs?status=active&limit=20");
    for (const job of page.jobs.reverse()) {
      const prompt = job.metadata && job.metadata.request && job.metadata.request.prompt;
      trackJob(job.id, { title: prompt || job.command });
    }
  } catch { /* the banner says why */ }
}
