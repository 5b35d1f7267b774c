// What can be done with a finished image, wherever it is shown (result card, recent
// work, history, the viewer): open, download, copy, edit this, reuse the prompt and
// settings, make transparent, retry, delete. Views learn of the outcome by events:
// "use-for-edit" {files}, "reuse-request" {job}, "job-deleted" {job_id}.

import { api, outputUrl, refUrl, sourceUrl } from "./api.js";
import { sentence } from "./errors.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { el, promptOf } from "./util.js";

let tracker = null;
let viewer = null;
export function setTracker(fn) { tracker = fn; }
export function setViewer(fn) { viewer = fn; }

const befores = new Map();  // job id -> object URL of what the page sent (extract input), this session only
export function rememberBefore(jobId, url) { if (url) befores.set(jobId, url); }

export const isImageJob = (job) => job && (job.status === "completed" || job.status === "partial_failed") && job.command !== "transparent verify";

export function outputsOf(job, artifacts) {
  if (artifacts) return artifacts.filter((a) => a.role === "output").map((a) => ({ index: a.index, name: a.name }));
  const files = (job.metadata && job.metadata.output && job.metadata.output.files) || [];
  if (files.length) return files.map((f, i) => ({ index: f.index ?? i, name: (f.path || "").split("/").pop() || `image-${i + 1}.png` }));
  return job.output_path ? [{ index: 0, name: job.output_path.split("/").pop() }] : [];
}

// The image a result was made from, for compare: an edit's first reference, a transparent
// generate's source plate, or the upload of an extract started on this page.
export function beforeOf(job, artifacts) {
  if (befores.has(job.id)) return befores.get(job.id);
  if (job.command === "images edit") return refUrl(job.id, 0);
  if (job.command === "transparent generate" && (!artifacts || artifacts.some((a) => a.role === "source"))) return sourceUrl(job.id, 0);
  return null;
}

export const isTransparentJob = (job) => (job.command || "").startsWith("transparent") || (job.metadata && job.metadata.request && job.metadata.request.background === "transparent");

async function blobOf(url) {
  const reply = await fetch(url, { credentials: "same-origin" });
  if (!reply.ok) throw Object.assign(new Error("fetch failed"), { code: reply.status === 404 ? "artifact_not_found" : "internal_error" });
  return reply.blob();
}

async function asPng(blob) {
  if (blob.type === "image/png") return blob;
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function fail(err) {
  toast({ title: t("That did not work"), body: sentence(err), kind: "error" });
}

export const actions = {
  async copy(job, index) {
    try {
      const png = await asPng(await blobOf(outputUrl(job.id, index)));
      await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
      toast({ title: t("Image copied"), kind: "ok", timeout: 2500 });
    } catch (err) {
      if (err && err.code) fail(err);
      else toast({ title: t("The browser did not allow copying"), body: t("Use Download instead, or open the image and copy it from there."), kind: "error" });
    }
  },
  async edit(job, index) {
    try {
      const blob = await blobOf(outputUrl(job.id, index));
      const ext = (blob.type.split("/")[1] || "png").replace("jpeg", "jpg");
      const file = new File([blob], `${job.id}-${index + 1}.${ext}`, { type: blob.type || "image/png" });
      document.dispatchEvent(new CustomEvent("use-for-edit", { detail: { files: [file], prompt: "" } }));
      location.hash = "#edit";
    } catch (err) { fail(err); }
  },
  reuse(job) {
    document.dispatchEvent(new CustomEvent("reuse-request", { detail: { job } }));
  },
  async transparent(job, index) {
    try {
      const blob = await blobOf(outputUrl(job.id, index));
      const data = new FormData();
      data.append("image", blob, `${job.id}.png`);
      const started = await api("/api/transparent/extract", { method: "POST", form: data });
      rememberBefore(started.job_id, URL.createObjectURL(blob));
      if (tracker) tracker(started.job_id, { title: t("Transparent: {prompt}", { prompt: promptOf(job) || job.id }), firstEvents: started.events });
      toast({ title: t("Removing the background…"), body: t("Follow it under Results."), timeout: 3000 });
    } catch (err) { fail(err); }
  },
  async retry(job) {
    try {
      const reply = await api(`/api/jobs/${encodeURIComponent(job.id)}/retry`, { method: "POST" });
      if (tracker) tracker(reply.job_id, { title: t("Retry: {prompt}", { prompt: promptOf(job) || job.id }), firstEvents: reply.events });
      toast({ title: t("Started again"), body: t("It calls the provider again, which may be billed."), timeout: 3000 });
      return reply;
    } catch (err) { fail(err); return null; }
  },
  async remove(job) {
    if (!window.confirm(t("Delete this job and its images? This cannot be undone."))) return false;
    try {
      await api(`/api/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE" });
      document.dispatchEvent(new CustomEvent("job-deleted", { detail: { job_id: job.id } }));
      toast({ title: t("Deleted"), kind: "ok", timeout: 2500 });
      return true;
    } catch (err) { fail(err); return false; }
  },
  open(job, index, artifacts) {
    if (viewer) viewer(job, index, artifacts);
  },
};

function button(name, label, run, extra = {}) {
  return el("button", { type: "button", class: "icon-btn", title: label, "aria-label": label, "data-act": name, onclick: (e) => { e.stopPropagation(); run(); }, ...extra }, icon(name === "remove" ? "trash" : name, 17));
}

// The action bar of one image. `only` narrows it (e.g. the recent-work hover bar).
export function actionBar(job, index = 0, { only = null, artifacts = null, labels = false } = {}) {
  const outs = outputsOf(job, artifacts);
  const name = (outs.find((o) => o.index === index) || outs[0] || {}).name || "image.png";
  const all = [
    ["open", t("Open large"), () => actions.open(job, index, artifacts)],
    ["download", t("Download"), null],
    ["copy", t("Copy image"), () => actions.copy(job, index)],
    ["edit", t("Edit this image"), () => actions.edit(job, index)],
    ["reuse", t("Reuse prompt and settings"), () => actions.reuse(job)],
    ["transparent", t("Make transparent"), () => actions.transparent(job, index)],
    ["retry", t("Retry"), () => actions.retry(job)],
    ["remove", t("Delete"), () => actions.remove(job)],
  ];
  const canReuse = ["images generate", "images edit", "transparent generate"].includes(job.command);
  const bar = el("div", { class: labels ? "actions-bar labelled" : "actions-bar", role: "toolbar", "aria-label": t("Image actions") },
    all.filter(([n]) => (!only || only.includes(n)) && (n !== "reuse" || canReuse) && (n !== "transparent" || !isTransparentJob(job)))
      .map(([n, label, run]) => n === "download"
        ? el("a", { class: "icon-btn", href: `${outputUrl(job.id, index)}?download=1`, download: name, title: label, "aria-label": label, "data-act": "download", onclick: (e) => e.stopPropagation() }, icon("download", 17))
        : button(n, label, run)));
  if (labels) for (const b of bar.children) b.append(el("span", { class: "act-label", text: b.getAttribute("aria-label") }));
  return bar;
}
