// The engine's queue: a header indicator (running / queued / max at once), kept
// fresh by a light poll and on every job start or finish, and the max_parallel
// control in Settings.

import { api } from "./api.js";
import { $, el, showError } from "./util.js";

let timer = null;
let current = null;

function render(q) {
  current = q;
  const pill = $("#queue-indicator");
  pill.classList.remove("hidden");
  pill.dataset.running = String(q.running);
  pill.dataset.queued = String(q.queued);
  pill.dataset.maxParallel = String(q.max_parallel);
  pill.classList.toggle("busy", q.running > 0);
  pill.replaceChildren(
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { text: `${q.running} running · ${q.queued} queued` }),
    el("span", { class: "muted", text: ` · max ${q.max_parallel}` }));
  pill.title = `Engine queue: ${q.running} running, ${q.queued} waiting, up to ${q.max_parallel} at once (change in Settings)`;
  const status = $("#queue-status");
  if (status) status.textContent = `${q.running} running, ${q.queued} queued, up to ${q.max_parallel} at once.`;
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
      $("#queue-saved").textContent = `Saved: up to ${q.max_parallel} at once.`;
    } catch (err) {
      showError(form, err);
    }
  });
  $("#queue-indicator").addEventListener("click", () => { location.hash = "#settings"; });
  document.addEventListener("job-started", refreshQueue);
  document.addEventListener("job-finished", refreshQueue);
}

export const queueState = () => current;
