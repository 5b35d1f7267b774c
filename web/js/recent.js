// Recent work beside the prompt: the newest finished images, each opening the large
// view, with quick actions on hover (always shown on touch screens).

import { api, outputUrl } from "./api.js";
import { t } from "./i18n.js";
import { actionBar, actions, isImageJob } from "./results.js";
import { $, el, fill, promptOf } from "./util.js";

const LIMIT = 12;
let loading = null;

function tile(job) {
  const prompt = promptOf(job) || job.command;
  const img = el("img", { src: outputUrl(job.id, 0), alt: prompt, loading: "lazy", decoding: "async" });
  const node = el("div", { class: "recent-tile checker", "data-job-id": job.id, role: "button", tabindex: "0", title: prompt, "aria-label": t("Open: {prompt}", { prompt: prompt.slice(0, 60) }) },
    img,
    el("div", { class: "recent-actions" }, actionBar(job, 0, { only: ["download", "edit", "reuse"] })));
  img.addEventListener("error", () => node.remove());
  const open = () => actions.open(job, 0);
  node.addEventListener("click", open);
  node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
  return node;
}

export async function loadRecent() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const page = await api(`/api/jobs?status=completed&limit=${LIMIT * 2}`);
      const jobs = page.jobs.filter(isImageJob).slice(0, LIMIT);
      fill($("#recent"), jobs.map(tile));
      recentPrompts(page.jobs);
      $("#recent-empty").classList.toggle("hidden", jobs.length > 0);
    } catch { /* the banner says why */ } finally { loading = null; }
  })();
  return loading;
}

// The last few distinct prompts, one click from the prompt box again.
function recentPrompts(jobs) {
  const seen = new Set();
  const prompts = [];
  for (const job of jobs) {
    const p = (promptOf(job) || "").trim();
    if (p.length < 4 || seen.has(p) || job.command !== "images generate") continue;
    seen.add(p);
    prompts.push(p);
    if (prompts.length === 3) break;
  }
  const box = $("#recent-prompts");
  const area = $("#generate-form textarea[name=prompt]");
  fill(box, prompts.length ? el("span", { class: "muted small", text: t("Recent:") }) : null,
    prompts.map((p) => el("button", { type: "button", class: "chip-btn recent-prompt", title: p, text: p.length > 48 ? `${p.slice(0, 46)}…` : p, onclick: () => { area.value = p; area.focus(); } })));
}

export function initRecent() {
  document.addEventListener("job-finished", (e) => { if (e.detail.status === "completed" || e.detail.status === "partial_failed") loadRecent(); });
  document.addEventListener("job-deleted", (e) => { const n = $(`#recent [data-job-id="${CSS.escape(e.detail.job_id)}"]`); if (n) n.remove(); });
}
