// The large view: one image of a job over a checkerboard or a chosen colour, zoom
// (wheel, pinch, buttons, keys) and pan, before/after compare with a slider for edits
// and transparent results, the job's other images, and every result action.

import { api, outputUrl } from "./api.js";
import { t } from "./i18n.js";
import { actionBar, beforeOf, outputsOf, setViewer } from "./results.js";
import { $, el, fill, promptOf } from "./util.js";

const view = { job: null, artifacts: null, outputs: [], index: 0, scale: 1, x: 0, y: 0, fit: true, compare: false, split: 50, w: 1, h: 1 };
const pointers = new Map();
let pinch = null;
let drag = null;

function stage() { return $("#viewer-stage"); }

function apply() {
  const canvas = $("#viewer-canvas");
  canvas.style.width = `${view.w}px`;
  canvas.style.height = `${view.h}px`;
  canvas.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  $("#viewer-zoom").textContent = `${Math.round(view.scale * 100)}%`;
  $("#viewer").dataset.zoom = String(Math.round(view.scale * 100));
  $("#viewer-before-wrap").style.clipPath = `inset(0 ${100 - view.split}% 0 0)`;
  $("#compare-handle").style.left = `${view.split}%`;
}

function fitView() {
  const box = stage().getBoundingClientRect();
  const pad = 24;
  view.scale = Math.min((box.width - pad) / view.w, (box.height - pad) / view.h, 4);
  if (!Number.isFinite(view.scale) || view.scale <= 0) view.scale = 1;
  view.x = (box.width - view.w * view.scale) / 2;
  view.y = (box.height - view.h * view.scale) / 2;
  view.fit = true;
  apply();
}

function zoomAt(factor, cx, cy) {
  const box = stage().getBoundingClientRect();
  const px = cx === undefined ? box.width / 2 : cx - box.left;
  const py = cy === undefined ? box.height / 2 : cy - box.top;
  const next = Math.min(16, Math.max(0.05, view.scale * factor));
  view.x = px - ((px - view.x) * next) / view.scale;
  view.y = py - ((py - view.y) * next) / view.scale;
  view.scale = next;
  view.fit = false;
  apply();
}

function actualSize() {
  const box = stage().getBoundingClientRect();
  view.scale = 1;
  view.x = (box.width - view.w) / 2;
  view.y = (box.height - view.h) / 2;
  view.fit = false;
  apply();
}

function setBackground(kind, colour) {
  const s = stage();
  s.classList.remove("bg-checker", "bg-white", "bg-black", "bg-custom");
  s.classList.add(`bg-${kind}`);
  s.style.backgroundColor = kind === "custom" ? colour : "";
  s.dataset.bg = kind;
  for (const b of document.querySelectorAll("#viewer [data-bg]")) b.setAttribute("aria-pressed", String(b.dataset.bg === kind));
}

function setCompare(on) {
  const before = beforeOf(view.job, view.artifacts);
  view.compare = Boolean(on && before);
  $("#viewer").classList.toggle("comparing", view.compare);
  $("#viewer-compare").setAttribute("aria-pressed", String(view.compare));
  if (view.compare) {
    const img = $("#viewer-before");
    if (img.getAttribute("src") !== before) img.src = before;
    view.split = 50;
    $("#compare-slider").value = "50";
  }
  apply();
}

function show(index) {
  view.index = index;
  const item = view.outputs.find((o) => o.index === index) || view.outputs[0];
  const img = $("#viewer-after");
  img.alt = promptOf(view.job) || t("Result");
  img.onload = () => {
    view.w = img.naturalWidth || 1;
    view.h = img.naturalHeight || 1;
    $("#viewer-meta").textContent = `${view.w}×${view.h} · ${item ? item.name : ""}`;
    $("#viewer").dataset.loaded = "1";
    fitView();
  };
  $("#viewer").dataset.loaded = "";
  img.src = outputUrl(view.job.id, item ? item.index : 0);
  const many = view.outputs.length > 1;
  $("#viewer-prev").classList.toggle("hidden", !many);
  $("#viewer-next").classList.toggle("hidden", !many);
  $("#viewer-count").textContent = many ? `${view.outputs.indexOf(item) + 1} / ${view.outputs.length}` : "";
  fill($("#viewer-actions"), actionBar(view.job, item ? item.index : 0, { artifacts: view.artifacts, only: ["download", "copy", "edit", "reuse", "transparent", "retry", "remove"], labels: true }));
  $("#viewer-actions").querySelectorAll("[data-act=edit], [data-act=reuse]").forEach((b) => b.addEventListener("click", () => $("#viewer").close()));
}

function step(delta) {
  const i = view.outputs.findIndex((o) => o.index === view.index);
  const next = view.outputs[(i + delta + view.outputs.length) % view.outputs.length];
  if (next) show(next.index);
}

export async function openViewer(job, index = 0, artifacts = null) {
  const dialog = $("#viewer");
  view.job = job;
  view.artifacts = artifacts;
  if (!artifacts) {
    try {
      const data = await api(`/api/jobs/${encodeURIComponent(job.id)}`);
      view.job = data.job;
      view.artifacts = data.artifacts;
    } catch { /* show what we have */ }
  }
  view.outputs = outputsOf(view.job, view.artifacts);
  if (!view.outputs.length) view.outputs = [{ index: 0, name: "image" }];
  dialog.dataset.jobId = view.job.id;
  $("#viewer-title").textContent = promptOf(view.job) || view.job.command || "";
  const hasBefore = Boolean(beforeOf(view.job, view.artifacts));
  $("#viewer-compare").classList.toggle("hidden", !hasBefore);
  setCompare(false);
  setBackground("checker");
  if (!dialog.open) dialog.showModal();
  show(index);
}

export function initViewer() {
  setViewer(openViewer);
  const dialog = $("#viewer");
  const s = stage();
  $("#viewer-zoom-in").addEventListener("click", () => zoomAt(1.25));
  $("#viewer-zoom-out").addEventListener("click", () => zoomAt(0.8));
  $("#viewer-fit").addEventListener("click", fitView);
  $("#viewer-zoom").addEventListener("click", () => (view.fit ? actualSize() : fitView()));
  $("#viewer-close").addEventListener("click", () => dialog.close());
  $("#viewer-prev").addEventListener("click", () => step(-1));
  $("#viewer-next").addEventListener("click", () => step(1));
  $("#viewer-compare").addEventListener("click", () => setCompare(!view.compare));
  $("#compare-slider").addEventListener("input", (e) => { view.split = Number(e.target.value); apply(); });
  for (const b of dialog.querySelectorAll("[data-bg]")) {
    if (b.tagName === "INPUT") b.addEventListener("input", () => setBackground("custom", b.value));
    else b.addEventListener("click", () => setBackground(b.dataset.bg));
  }
  s.addEventListener("wheel", (e) => { e.preventDefault(); zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY); }, { passive: false });
  s.addEventListener("dblclick", (e) => (view.fit ? zoomAt(2, e.clientX, e.clientY) : fitView()));
  s.addEventListener("pointerdown", (e) => {
    if (e.target.closest("button, input")) return;
    s.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const handle = e.target.closest("#compare-handle");
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), scale: view.scale };
      drag = null;
    } else {
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, split: Boolean(handle) };
    }
  });
  s.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      zoomAt((pinch.scale * (d / pinch.d)) / view.scale, (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (drag && drag.split) {
      const box = $("#viewer-canvas").getBoundingClientRect();
      view.split = Math.max(0, Math.min(100, ((e.clientX - box.left) / box.width) * 100));
      $("#compare-slider").value = String(Math.round(view.split));
      apply();
    } else if (drag) {
      view.x = drag.vx + (e.clientX - drag.x);
      view.y = drag.vy + (e.clientY - drag.y);
      view.fit = false;
      apply();
    }
  });
  const up = (e) => { pointers.delete(e.pointerId); if (pointers.size < 2) pinch = null; if (!pointers.size) drag = null; };
  s.addEventListener("pointerup", up);
  s.addEventListener("pointercancel", up);
  dialog.addEventListener("keydown", (e) => {
    if (e.target.closest("input")) return;
    if (e.key === "+" || e.key === "=") zoomAt(1.25);
    else if (e.key === "-") zoomAt(0.8);
    else if (e.key === "0") fitView();
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === "ArrowRight") step(1);
    else if (e.key.toLowerCase() === "c" && !$("#viewer-compare").classList.contains("hidden")) setCompare(!view.compare);
  });
  window.addEventListener("resize", () => { if (dialog.open && view.fit) fitView(); });
  dialog.addEventListener("close", () => { $("#viewer-after").removeAttribute("src"); });
  document.addEventListener("job-deleted", (e) => { if (dialog.open && view.job && view.job.id === e.detail.job_id) dialog.close(); });
}
