// The page: tabs, sign-in (and the desktop window's one-time session hand-over), the
// engine banner, the first-run notice, theme and language, and the generate / edit /
// transparent forms. Jobs start with one POST that answers at once with the job id;
// the results column (jobs.js) then follows it by SSE.

import { api, on, outputUrl, refUrl } from "./api.js";
import { fillForm, optionFields, PROFILES, transparentFields } from "./forms.js";
import { initHistory, loadMore } from "./history.js";
import { applyI18n, choice as langChoice, lang, setLang, t } from "./i18n.js";
import { hydrateIcons } from "./icons.js";
import { resumeActiveJobs, trackJob } from "./jobs.js";
import { MaskPainter } from "./mask.js";
import { initOutputs, loadOutputs } from "./outputs.js";
import { initQueue, startQueue } from "./queue.js";
import { initRecent, loadRecent } from "./recent.js";
import { actions, rememberBefore } from "./results.js";
import { effectiveProvider, initSettings, loadProviders, onProviders, regionMode, state as providerState, usable } from "./settings.js";
import { toast } from "./toast.js";
import { $, $$, el, errorBlock, fill, formObject, showError } from "./util.js";
import { initViewer } from "./viewer.js";

const WITH_SIDE = ["generate", "edit", "transparent"];
const HINT_PROMPT = "Change only the area highlighted in magenta in the last reference image; keep everything else as it is.";
const TEMPLATES = [
  ["Product photo", "Product photo of a matte ceramic mug on a pure white background, soft light, centred"],
  ["Logo", "Minimal geometric logo, gradient fill, flat vector style, white background"],
  ["Ink painting", "Chinese ink wash landscape, generous empty space, distant pale mountains, vertical"],
  ["Sticker", "Cute cartoon cat sticker, thick white outline, flat colours"],
  ["Neon city", "Cyberpunk city street at night, neon reflections on wet ground after rain"],
];

// ---- tabs

function showTab(name) {
  const tab = $(`[data-tab="${name}"]`) ? name : "generate";
  for (const link of $$("#tabs a")) {
    link.classList.toggle("active", link.dataset.tab === tab);
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const view of $$(".view")) view.classList.toggle("hidden", view.id !== `view-${tab}`);
  $("#main").classList.toggle("with-side", WITH_SIDE.includes(tab));
  document.body.dataset.tab = tab;
  if (tab === "history") loadMore(true);
  if (tab === "settings") { loadProviders().catch(() => {}); loadOutputs(); }
}

// ---- engine banner

let polling = null;
on("unavailable", (err) => {
  const banner = $("#banner");
  fill(banner, errorBlock(err), el("span", { class: "muted small", text: t("Retrying every few seconds…") }));
  banner.classList.remove("hidden");
  if (polling) return;
  polling = setInterval(async () => {
    try { await api("/api/health"); } catch { /* still down */ }
  }, 2000);
});
on("available", () => {
  if (!polling) return;
  clearInterval(polling);
  polling = null;
  $("#banner").classList.add("hidden");
  loadProviders().catch(() => {});
});
on("unauthorized", () => showLogin());

// ---- sign-in

function showLogin() {
  $("#main").classList.add("hidden");
  $("#login").classList.remove("hidden");
  $("#login-token").focus();
}

async function login(event) {
  event.preventDefault();
  try {
    await api("/api/session", { method: "POST", json: { token: $("#login-token").value } });
    $("#login-error").textContent = "";
    $("#login").classList.add("hidden");
    await start();
  } catch (err) {
    $("#login-error").dataset.code = err.code;
    if (err.code === "unauthenticated") fill($("#login-error"), el("div", { class: "err" }, el("strong", { class: "err-title", text: t("Invalid access token.") }), el("span", { class: "err-next", text: t("Check the token (GPT_IMAGE_2_WEB_TOKEN) and try again.") })));
    else fill($("#login-error"), errorBlock(err));
  }
}

// The desktop window opens the page as /#session=<token>: trade it for the session
// cookie and drop it from the address bar and history at once.
async function desktopSession() {
  const match = /^#session=([^&]+)/.exec(location.hash);
  if (!match) return;
  history.replaceState(null, "", `${location.pathname}#generate`);
  try { sessionStorage.setItem("gpt2.desktop", "1"); } catch { /* private mode */ }
  try { await api("/api/session", { method: "POST", json: { token: decodeURIComponent(match[1]) } }); } catch { /* the sign-in form will ask */ }
}

// ---- job starting

async function submitJob(form, path, body, title, { onDone = null, before = null, kind = "" } = {}) {
  const button = $("button[type=submit]", form);
  button.disabled = true;
  showError(form, null);
  try {
    const started = await api(path, body);
    if (before) rememberBefore(started.job_id, before);
    trackJob(started.job_id, { title, onDone, firstEvents: started.events, kind });
    if (window.matchMedia("(max-width: 860px)").matches) $("#jobs-panel").scrollIntoView({ behavior: "smooth" });
    return started;
  } catch (err) {
    showError(form, err);
    return null;
  } finally {
    button.disabled = false;
  }
}

function submitOnCtrlEnter(form) {
  for (const area of $$("textarea", form)) {
    area.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } });
  }
}

function templates() {
  const box = $("#templates");
  const area = $("#generate-form textarea[name=prompt]");
  fill(box, TEMPLATES.map(([label, prompt]) => el("button", { type: "button", class: "chip-btn", text: t(label), onclick: () => { area.value = t(prompt); area.focus(); } })));
}

function generateForm() {
  const form = $("#generate-form");
  submitOnCtrlEnter(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = formObject(form);
    if (!usable() && providerState.loaded && !body.provider) { showError(form, { code: "provider_unavailable", message: "" }); return; }
    submitJob(form, "/api/images/generate", { method: "POST", json: body }, body.prompt, { kind: "images generate" });
  });
}

// ---- edit: references by drag and drop, a mask painted on the first one

const edit = { refs: [], painter: null, hint: false };

function maskCheck() {
  const form = $("#edit-form");
  const box = $("#mask-warning");
  const painted = edit.painter && edit.painter.image && edit.painter.painted();
  const choice = $("select[name=provider]", form) ? $("select[name=provider]", form).value : "";
  const provider = effectiveProvider(choice);
  const native = regionMode(provider) === "native-mask";
  $("#mask-undo").disabled = !edit.painter.canUndo;
  $("#mask-redo").disabled = !edit.painter.canRedo;
  form.dataset.masked = String(Boolean(painted));
  if (!painted || native) {
    box.classList.add("hidden");
    box.dataset.state = "";
    if (native) edit.hint = false;
    return true;
  }
  const alternative = providerState.providers.find((p) => p.ready && regionMode(p) === "native-mask");
  box.classList.remove("hidden");
  box.dataset.state = edit.hint ? "hint" : "blocked";
  const name = provider ? provider.name : t("automatic");
  if (edit.hint) {
    fill(box, el("strong", { text: t("The mask will be sent as a hint.") }),
      el("span", { text: t("“{name}” gets the image with the painted area highlighted and is asked to change only that part; the result may reach a little beyond it.", { name }) }),
      el("div", { class: "row" }, el("button", { type: "button", class: "btn small ghost", text: t("Undo this choice"), onclick: () => { edit.hint = false; maskCheck(); } })));
    return true;
  }
  fill(box, el("strong", { text: t("“{name}” cannot follow a painted mask exactly.", { name }) }),
    el("span", { text: t("Choose before sending: switch to a provider with mask editing, or send the mask as a hint.") }),
    el("div", { class: "row" },
      alternative ? el("button", { type: "button", class: "btn small primary", id: "mask-switch", text: t("Switch to {name}", { name: alternative.name }), onclick: () => { $("select[name=provider]", form).value = alternative.name; maskCheck(); } }) : null,
      el("button", { type: "button", class: "btn small", id: "mask-hint", text: t("Send the mask as a hint"), onclick: () => { edit.hint = true; maskCheck(); } }),
      alternative ? null : el("a", { class: "btn small ghost", href: "#settings", text: t("Add a provider") })));
  return false;
}

function setTool(erase) {
  edit.painter.erase = erase;
  $("#mask-brush").setAttribute("aria-pressed", String(!erase));
  $("#mask-eraser").setAttribute("aria-pressed", String(erase));
}

async function renderRefs() {
  const list = $("#ref-list");
  list.replaceChildren(...edit.refs.map((file, i) => el("li", {},
    el("img", { src: URL.createObjectURL(file), alt: file.name, title: file.name }),
    i === 0 ? el("span", { class: "ref-main", text: t("mask") }) : null,
    el("button", { type: "button", class: "ref-remove", "aria-label": t("Remove {name}", { name: file.name }), text: "×", onclick: () => { edit.refs.splice(i, 1); renderRefs(); } }))));
  $("#mask-editor").classList.toggle("hidden", edit.refs.length === 0);
  $("#drop").classList.toggle("compact", edit.refs.length > 0);
  if (edit.refs.length && edit.painter.file !== edit.refs[0]) {
    edit.painter.file = edit.refs[0];
    await edit.painter.load(edit.refs[0]);
  }
  maskCheck();
}

function addRefs(files, replace = false) {
  if (replace) edit.refs.length = 0;
  for (const file of files) if (file.type.startsWith("image/") && edit.refs.length < 16) edit.refs.push(file);
  renderRefs();
}

function editForm() {
  const form = $("#edit-form");
  edit.painter = new MaskPainter($("#mask-canvas"), $("#brush-cursor"));
  edit.painter.onchange = () => maskCheck();
  submitOnCtrlEnter(form);
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); addRefs(e.dataTransfer.files); });
  $("#edit-files").addEventListener("change", (e) => { addRefs(e.target.files); e.target.value = ""; });
  const brush = $("#brush");
  const showBrush = () => { edit.painter.brush = Number(brush.value); $("#brush-value").textContent = `${brush.value}px`; };
  brush.addEventListener("input", showBrush);
  showBrush();
  $("#mask-brush").addEventListener("click", () => setTool(false));
  $("#mask-eraser").addEventListener("click", () => setTool(true));
  $("#mask-undo").addEventListener("click", () => edit.painter.undo());
  $("#mask-redo").addEventListener("click", () => edit.painter.redo());
  $("#mask-invert").addEventListener("click", () => edit.painter.invert());
  $("#mask-clear").addEventListener("click", () => edit.painter.clear());
  const zoomTo = (z) => { edit.painter.setZoom(z); $("#mask-zoom").textContent = `${Math.round(edit.painter.zoom * 100)}%`; };
  $("#mask-zoom-in").addEventListener("click", () => zoomTo(edit.painter.zoom * 1.5));
  $("#mask-zoom-out").addEventListener("click", () => zoomTo(edit.painter.zoom / 1.5 < 1.05 ? 1 : edit.painter.zoom / 1.5));
  const pan = (on) => { edit.painter.panning = on; $("#mask-pan").setAttribute("aria-pressed", String(on)); $(".mask-stage").classList.toggle("panning", on); };
  $("#mask-pan").addEventListener("click", () => { const on = !edit.painter.panning; $("#mask-pan").dataset.sticky = on ? "1" : ""; pan(on); });
  document.addEventListener("keydown", (e) => { if (e.code === "Space" && !e.repeat && !$("#view-edit").classList.contains("hidden") && !e.target.closest("input, textarea, select, button")) { e.preventDefault(); if ($("#mask-pan").dataset.sticky !== "1") pan(true); } });
  document.addEventListener("keyup", (e) => { if (e.code === "Space" && edit.painter.panning && $("#mask-pan").dataset.sticky !== "1") pan(false); });
  $("#mask-overlay").addEventListener("click", (e) => {
    const next = edit.painter.overlay === "stripes" ? "solid" : "stripes";
    edit.painter.setOverlay(next);
    e.currentTarget.setAttribute("aria-pressed", String(next === "solid"));
  });
  document.addEventListener("keydown", (e) => {
    if ($("#view-edit").classList.contains("hidden") || e.target.closest("input, textarea, select")) return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); if (e.shiftKey) edit.painter.redo(); else edit.painter.undo(); }
    else if ((e.ctrlKey || e.metaKey) && key === "y") { e.preventDefault(); edit.painter.redo(); }
    else if (key === "b") setTool(false);
    else if (key === "e") setTool(true);
    else if (key === "[" || key === "]") { brush.value = String(Number(brush.value) + (key === "]" ? 8 : -8)); showBrush(); }
  });
  form.addEventListener("change", (e) => { if (e.target.name === "provider") maskCheck(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!edit.refs.length) { showError(form, { message: t("Add at least one image to edit.") }); return; }
    if (!maskCheck()) {
      const box = $("#mask-warning");
      box.classList.remove("shake");
      void box.offsetWidth;
      box.classList.add("shake");
      box.scrollIntoView({ block: "nearest", behavior: "smooth" });
      return;
    }
    const fields = formObject(form);
    const provider = effectiveProvider(fields.provider || "");
    const data = new FormData();
    const hint = edit.hint && regionMode(provider) !== "native-mask";
    if (hint) fields.prompt = `${fields.prompt || ""}\n\n${HINT_PROMPT}`.trim();
    for (const [k, v] of Object.entries(fields)) data.append(k, v);
    for (const file of edit.refs) data.append("image[]", file, file.name);
    if (hint) {
      const blob = await edit.painter.hintBlob();
      if (blob) data.append("image[]", blob, "region-hint.png");
    } else {
      const mask = await edit.painter.toBlob();
      if (mask) data.append("mask", mask, "mask.png");
    }
    submitJob(form, "/api/images/edit", { method: "POST", form: data }, fields.prompt.split("\n\n")[0], { kind: "images edit" });
  });
  document.addEventListener("use-for-edit", (e) => {
    addRefs(e.detail.files, true);
    toast({ title: t("Ready to edit"), body: t("Paint where it should change, then describe the change."), kind: "ok", timeout: 3500 });
  });
}

// ---- transparent: extract / verify / generate, the result over a checkerboard

function metricsTable(result) {
  const table = $("#tp-metrics");
  const v = (result && (result.verification || result)) || {};
  const rows = [];
  const passed = result && (result.passed ?? v.passed);
  if (passed !== undefined) rows.push([t("passed"), passed ? t("yes") : t("no"), passed ? "pass" : "fail"]);
  for (const key of ["profile", "width", "height", "transparent_ratio", "partial_ratio", "opaque_ratio", "quality_score", "alpha_health_score", "residue_score", "halo_score", "component_count", "stray_pixel_count", "touches_edge", "matte_residue_score"]) {
    if (v[key] !== undefined && v[key] !== null) rows.push([key, typeof v[key] === "number" && !Number.isInteger(v[key]) ? v[key].toFixed(3) : String(v[key])]);
  }
  for (const reason of v.failure_reasons || []) rows.push([t("failure"), reason, "fail"]);
  for (const warning of v.warnings || []) rows.push([t("warning"), warning]);
  table.replaceChildren(...rows.map(([k, val, cls]) => el("tr", {}, el("td", { text: k }), el("td", { text: val, class: cls }))));
  table.dataset.passed = passed === undefined ? "" : String(passed);
}

function showTransparent(src, result, job = null) {
  $("#tp-result").classList.remove("hidden");
  if (src) $("#tp-image").src = src;
  metricsTable(result);
  const open = $("#tp-open");
  open.classList.toggle("hidden", !job);
  open.onclick = job ? () => actions.open(job, 0) : null;
}

function transparentForms() {
  for (const button of $$("#tp-tabs button")) {
    button.addEventListener("click", () => {
      for (const b of $$("#tp-tabs button")) { b.classList.toggle("active", b === button); b.setAttribute("aria-selected", String(b === button)); }
      for (const f of $$("#view-transparent form.sub")) f.classList.toggle("hidden", f.dataset.sub !== button.dataset.sub);
    });
  }
  $("[data-profiles]").replaceChildren(...PROFILES.map((p) => el("option", { value: p, text: p })));
  for (const c of $$("[data-transparent]")) transparentFields(c);
  for (const b of $$("#tp-result [data-tp-bg]")) {
    b.addEventListener("click", () => {
      const stage = $("#tp-stage");
      stage.classList.remove("bg-checker", "bg-white", "bg-black");
      stage.classList.add(`bg-${b.dataset.tpBg}`);
      for (const o of $$("#tp-result [data-tp-bg]")) o.setAttribute("aria-pressed", String(o === b));
    });
  }
  const done = (record) => {
    const job = { id: record.job_id, command: record.command || "transparent extract", status: record.status, metadata: {} };
    if (record.status === "completed" || record.status === "partial_failed") showTransparent(outputUrl(record.job_id, 0), record.result, job);
    else showTransparent(null, record.result);
  };
  const extract = $("#extract-form");
  extract.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(extract);
    const file = data.get("image");
    submitJob(extract, "/api/transparent/extract", { method: "POST", form: data }, t("Transparent: {name}", { name: file && file.name ? file.name : "" }), { onDone: done, before: file && file.size ? URL.createObjectURL(file) : null, kind: "transparent extract" });
  });
  const verify = $("#verify-form");
  verify.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(verify, null);
    const data = new FormData(verify);
    try {
      const reply = await api("/api/transparent/verify", { method: "POST", form: data });
      showTransparent(URL.createObjectURL(data.get("image")), reply.result);
    } catch (err) { showError(verify, err); }
  });
  const generate = $("#tgenerate-form");
  submitOnCtrlEnter(generate);
  generate.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = formObject(generate);
    submitJob(generate, "/api/transparent/generate", { method: "POST", json: body }, body.prompt, { onDone: done, kind: "transparent generate" });
  });
}

// ---- reuse prompt and settings

async function reuse(job) {
  if (job.command === "images edit") {
    location.hash = "#edit";
    const form = $("#edit-form");
    fillForm(form, job);
    const count = Number((job.metadata && job.metadata.request && job.metadata.request.ref_image_count) || 1);
    const files = [];
    for (let i = 0; i < count; i += 1) {
      try {
        const reply = await fetch(refUrl(job.id, i), { credentials: "same-origin" });
        if (!reply.ok) break;
        const blob = await reply.blob();
        files.push(new File([blob], `ref-${i + 1}.${(blob.type.split("/")[1] || "png").replace("jpeg", "jpg")}`, { type: blob.type }));
      } catch { break; }
    }
    if (files.length) addRefs(files, true);
  } else if (job.command === "transparent generate") {
    location.hash = "#transparent";
    $("#tp-tabs button[data-sub=tgenerate]").click();
    fillForm($("#tgenerate-form"), job);
  } else {
    location.hash = "#generate";
    fillForm($("#generate-form"), job);
  }
  toast({ title: t("Prompt and settings filled in"), body: t("Change what you like, then send it again."), kind: "ok", timeout: 3500 });
  const area = $(".view:not(.hidden) textarea[name=prompt]");
  if (area) area.focus();
}

// ---- appearance and language

function appearance() {
  const theme = window.gpt2Theme;
  const syncTheme = () => {
    const current = theme.current();
    $("#theme-toggle").setAttribute("aria-pressed", String(current === "light"));
    $("#theme-toggle").dataset.theme = current;
    $("#theme-select").value = theme.choice();
  };
  $("#theme-toggle").addEventListener("click", () => { theme.set(theme.current() === "dark" ? "light" : "dark"); syncTheme(); });
  $("#theme-select").addEventListener("change", (e) => { theme.set(e.target.value); syncTheme(); });
  syncTheme();
  const syncLang = () => {
    $("#lang-toggle").textContent = lang() === "zh" ? "EN" : "中文";
    $("#lang-toggle").setAttribute("aria-label", lang() === "zh" ? "Switch to English" : "切换到中文");
    $("#lang-select").value = langChoice();
  };
  $("#lang-toggle").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh"); syncLang(); });
  $("#lang-select").addEventListener("change", (e) => { setLang(e.target.value); syncLang(); });
  syncLang();
}

function rerenderForms() {
  for (const form of $$("#generate-form, #edit-form, #tgenerate-form")) optionFields(form);
  for (const c of $$("[data-transparent]")) {
    const keep = Object.fromEntries([...c.querySelectorAll("[name]")].map((f) => [f.name, f.type === "checkbox" ? f.checked : f.value]));
    transparentFields(c);
    for (const [k, v] of Object.entries(keep)) { const f = c.querySelector(`[name="${k}"]`); if (f) { if (f.type === "checkbox") f.checked = v; else f.value = v; } }
  }
  templates();
  if (edit.painter) maskCheck();
}

// ---- PWA

function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready)
    .then(() => { document.body.dataset.sw = "ready"; })
    .catch(() => { document.body.dataset.sw = "failed"; });
}

// ---- start-up

async function start() {
  const session = await api("/api/session");
  let desktop = false;
  try { desktop = sessionStorage.getItem("gpt2.desktop") === "1"; } catch { /* private mode */ }
  // The desktop window's token is private to it: signing out there could not be undone.
  $("#logout").classList.toggle("hidden", !session.auth_required || desktop);
  document.body.dataset.desktop = String(desktop);
  if (session.auth_required && !session.authorized) { showLogin(); return; }
  $("#main").classList.remove("hidden");
  showTab(location.hash.slice(1));
  try { await loadProviders(); } catch { /* the banner says why */ }
  document.body.dataset.ready = "1";
  resumeActiveJobs();
  loadRecent();
  startQueue();
}

async function init() {
  hydrateIcons();
  applyI18n();
  document.body.append(el("datalist", { id: "sizes" }, ["auto", "1024x1024", "1536x1024", "1024x1536", "2K", "4K"].map((v) => el("option", { value: v }))));
  rerenderForms();
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
  // Alt+1…5: the sections, as the tabs are ordered.
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || !/^[1-5]$/.test(e.key)) return;
    const link = $$("#tabs a")[Number(e.key) - 1];
    if (link) { e.preventDefault(); location.hash = link.getAttribute("href"); }
  });
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", async () => { await api("/api/session", { method: "DELETE" }); location.reload(); });
  generateForm();
  editForm();
  transparentForms();
  initSettings();
  initOutputs();
  initHistory();
  initQueue();
  initViewer();
  initRecent();
  appearance();
  onProviders(() => rerenderForms());
  document.addEventListener("langchange", rerenderForms);
  document.addEventListener("reuse-request", (e) => reuse(e.detail.job));
  registerServiceWorker();
  await desktopSession();
  start().catch((err) => {
    const banner = $("#banner");
    fill(banner, errorBlock(err));
    banner.classList.remove("hidden");
  });
}

init();
