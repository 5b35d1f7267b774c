// The page: tabs, sign-in, the engine banner, and the generate / edit /
// transparent / settings forms. Jobs start with one POST that answers at once
// with the job id; the job panel (jobs.js) then follows it by SSE.

import { api, on, outputUrl } from "./api.js";
import { initHistory, loadMore } from "./history.js";
import { resumeActiveJobs, trackJob } from "./jobs.js";
import { MaskPainter } from "./mask.js";
import { initOutputs, loadOutputs } from "./outputs.js";
import { initQueue, startQueue } from "./queue.js";
import { $, $$, el, fill, formObject, showError } from "./util.js";

const PROFILES = ["generic", "icon", "product", "sticker", "seal", "translucent", "glow", "shadow", "effect"];
const MATERIALS = ["", "standard", "soft-3d", "flat-icon", "sticker", "glow"];

// ---- option fields shared by the image forms

function select(name, label, values, title) {
  return el("label", { title }, label,
    el("select", { name }, values.map((v) => el("option", { value: v, text: v || "default" }))));
}

function optionFields(container, providers) {
  const noBackground = container.hasAttribute("data-no-background");
  fill(container,
    el("label", {}, "Provider", el("select", { name: "provider", "data-providers": true },
      el("option", { value: "", text: "auto" }), providers.map((p) => el("option", { value: p, text: p })))),
    el("label", {}, "Size", el("input", { name: "size", list: "sizes", placeholder: "auto, 2K, 4K, 1536x1024" })),
    select("quality", "Quality", ["", "auto", "low", "medium", "high"]),
    select("format", "Format", ["", "png", "jpeg", "webp"]),
    noBackground ? null : select("background", "Background", ["", "auto", "transparent", "opaque"]),
    el("label", {}, "Compression", el("input", { name: "compression", type: "number", min: 0, max: 100, placeholder: "0–100" })),
    el("label", {}, "Images (n)", el("input", { name: "n", type: "number", min: 1, max: 10, placeholder: "1" })),
    select("moderation", "Moderation", ["", "auto", "low"]),
    el("label", {}, "Partial previews", el("input", { name: "partial_images", type: "number", min: 0, max: 3, placeholder: "0" })),
    el("label", {}, "Model", el("input", { name: "model", placeholder: "provider default" })),
    el("label", {}, "Instructions (Codex)", el("input", { name: "instructions" })),
  );
}

function transparentFields(container) {
  fill(container,
    select("method", "Method", ["", "auto", "chroma", "dual"]),
    select("profile", "Profile", ["", ...PROFILES]),
    select("material", "Material", MATERIALS),
    el("label", {}, "Matte colour", el("input", { name: "matte_color", placeholder: "auto or #00ff00" })),
    el("label", {}, "Threshold", el("input", { name: "threshold", type: "number", step: "any" })),
    el("label", {}, "Softness", el("input", { name: "softness", type: "number", step: "any" })),
    el("label", {}, "Spill suppression", el("input", { name: "spill_suppression", type: "number", step: "any", min: 0, max: 1 })),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "strict", value: "1" }), "Strict"),
  );
}

// ---- tabs

function showTab(name) {
  const tab = $(`[data-tab="${name}"]`) ? name : "generate";
  for (const link of $$("#tabs a")) link.classList.toggle("active", link.dataset.tab === tab);
  for (const view of $$(".view")) view.classList.toggle("hidden", view.id !== `view-${tab}`);
  if (tab === "history") loadMore(true);
  if (tab === "settings") loadProviders();
}

// ---- engine banner

let polling = null;
on("unavailable", (err) => {
  const banner = $("#banner");
  banner.textContent = `Engine unavailable: ${err.message} Retrying…`;
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
    $("#login-error").textContent = err.message;
  }
}

// ---- job starting

async function submitJob(form, path, body, title, onDone) {
  const button = $("button[type=submit]", form);
  button.disabled = true;
  showError(form, null);
  try {
    const started = await api(path, body);
    trackJob(started.job_id, { title, onDone, firstEvents: started.events });
    if (window.matchMedia("(max-width: 860px)").matches) $("#jobs-panel").scrollIntoView({ behavior: "smooth" });
    return started;
  } catch (err) {
    showError(form, err);
    return null;
  } finally {
    button.disabled = false;
  }
}

function generateForm() {
  const form = $("#generate-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = formObject(form);
    submitJob(form, "/api/images/generate", { method: "POST", json: body }, body.prompt);
  });
}

// ---- edit: references by drag and drop, mask painted on the first one

function editForm() {
  const form = $("#edit-form");
  const refs = [];
  const painter = new MaskPainter($("#mask-canvas"));
  const list = $("#ref-list");

  async function render() {
    list.replaceChildren(...refs.map((file, i) => el("li", {},
      el("img", { src: URL.createObjectURL(file), alt: file.name, title: file.name }),
      el("button", { type: "button", class: "danger", "aria-label": `remove ${file.name}`, text: "×", onclick: () => { refs.splice(i, 1); render(); } }))));
    $("#mask-editor").classList.toggle("hidden", refs.length === 0);
    if (refs.length && painter.file !== refs[0]) {
      painter.file = refs[0];
      await painter.load(refs[0]);
    }
  }
  function add(files) {
    for (const file of files) if (file.type.startsWith("image/") && refs.length < 16) refs.push(file);
    render();
  }
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); add(e.dataTransfer.files); });
  $("#edit-files").addEventListener("change", (e) => { add(e.target.files); e.target.value = ""; });
  $("#brush").addEventListener("input", (e) => { painter.brush = Number(e.target.value); });
  $("#mask-erase").addEventListener("change", (e) => { painter.erase = e.target.checked; });
  $("#mask-clear").addEventListener("click", () => painter.clear());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!refs.length) { showError(form, { message: "Add at least one reference image." }); return; }
    const fields = formObject(form);
    const data = new FormData();
    for (const [k, v] of Object.entries(fields)) data.append(k, v);
    for (const file of refs) data.append("image[]", file, file.name);
    const mask = await painter.toBlob();
    if (mask) data.append("mask", mask, "mask.png");
    submitJob(form, "/api/images/edit", { method: "POST", form: data }, fields.prompt);
  });
}

// ---- transparent: extract / verify / generate, result over a checkerboard

function metricsTable(result) {
  const table = $("#tp-metrics");
  const v = (result && (result.verification || result)) || {};
  const rows = [];
  const passed = result && (result.passed ?? v.passed);
  if (passed !== undefined) rows.push(["passed", passed ? "yes" : "no", passed ? "pass" : "fail"]);
  for (const key of ["profile", "width", "height", "transparent_ratio", "partial_ratio", "opaque_ratio", "quality_score", "alpha_health_score", "residue_score", "halo_score", "component_count", "stray_pixel_count", "touches_edge", "matte_residue_score"]) {
    if (v[key] !== undefined && v[key] !== null) rows.push([key, typeof v[key] === "number" && !Number.isInteger(v[key]) ? v[key].toFixed(3) : String(v[key])]);
  }
  for (const reason of v.failure_reasons || []) rows.push(["failure", reason, "fail"]);
  for (const warning of v.warnings || []) rows.push(["warning", warning]);
  table.replaceChildren(...rows.map(([k, val, cls]) => el("tr", {}, el("td", { text: k }), el("td", { text: val, class: cls }))));
  table.dataset.passed = passed === undefined ? "" : String(passed);
}

function showTransparent(src, result) {
  $("#tp-result").classList.remove("hidden");
  if (src) $("#tp-image").src = src;
  metricsTable(result);
}

function transparentForms() {
  for (const button of $$("#tp-tabs button")) {
    button.addEventListener("click", () => {
      for (const b of $$("#tp-tabs button")) b.classList.toggle("active", b === button);
      for (const f of $$("#view-transparent form.sub")) f.classList.toggle("hidden", f.dataset.sub !== button.dataset.sub);
    });
  }
  $("[data-profiles]").replaceChildren(...PROFILES.map((p) => el("option", { value: p, text: p })));
  for (const c of $$("[data-transparent]")) transparentFields(c);
  const done = (record) => {
    if (record.status === "completed" || record.status === "partial_failed") showTransparent(outputUrl(record.job_id, 0), record.result);
    else showTransparent(null, record.result);
  };
  const extract = $("#extract-form");
  extract.addEventListener("submit", (event) => {
    event.preventDefault();
    submitJob(extract, "/api/transparent/extract", { method: "POST", form: new FormData(extract) }, "Transparent extract", done);
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
  generate.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = formObject(generate);
    submitJob(generate, "/api/transparent/generate", { method: "POST", json: body }, body.prompt, done);
  });
}

// ---- settings: providers

async function loadProviders() {
  const table = $("#providers");
  let data;
  try { data = await api("/api/providers"); } catch (err) { table.replaceChildren(el("tr", {}, el("td", { class: "error", text: err.message }))); return; }
  const rows = Object.entries(data.providers || {}).map(([name, p]) => {
    const key = p.credentials && p.credentials.api_key;
    const cred = key ? `${key.source}${key.present === false ? " (missing)" : ""}` : "—";
    const result = el("span", { class: "muted" });
    return el("tr", { "data-provider": name },
      el("td", {}, el("strong", { text: name }), name === data.default_provider ? el("span", { class: "badge completed", text: "default" }) : null),
      el("td", { text: p.type }), el("td", { text: p.api_base || p.endpoint || "" }), el("td", { text: cred }),
      el("td", { class: "row" },
        name === data.default_provider ? null : el("button", { type: "button", class: "secondary", text: "Make default", onclick: async () => { await api("/api/providers/default", { method: "POST", json: { name } }); loadProviders(); } }),
        el("button", { type: "button", class: "secondary", text: "Test", onclick: async () => {
          result.textContent = "testing…";
          try { const r = await api(`/api/providers/${encodeURIComponent(name)}/test`, { method: "POST" }); result.textContent = r.ok === false ? (r.message || "failed") : (r.message || "ok"); }
          catch (err) { result.textContent = err.message; }
        } }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: async () => { if (window.confirm(`Remove ${name}?`)) { await api(`/api/providers/${encodeURIComponent(name)}`, { method: "DELETE" }); loadProviders(); } } }),
        result));
  });
  table.replaceChildren(el("tr", {}, ["Name", "Type", "Endpoint", "Key", ""].map((h) => el("th", { text: h }))), ...rows);
  const names = Object.keys(data.providers || {});
  for (const c of $$("[data-options]")) {
    const current = $("select[name=provider]", c);
    const value = current ? current.value : "";
    optionFields(c, names);
    $("select[name=provider]", c).value = value;
  }
}

function providerForm() {
  const form = $("#provider-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formObject(form);
    const name = body.name;
    delete body.name;
    body.set_default = Boolean(body.set_default);
    if (body.supports_n) body.supports_n = true;
    showError(form, null);
    try {
      await api(`/api/providers/${encodeURIComponent(name)}`, { method: "PUT", json: body });
      form.reset();
      loadProviders();
    } catch (err) { showError(form, err); }
  });
}

// ---- start-up

async function start() {
  const session = await api("/api/session");
  $("#logout").classList.toggle("hidden", !session.auth_required);
  if (session.auth_required && !session.authorized) { showLogin(); return; }
  $("#main").classList.remove("hidden");
  document.body.dataset.ready = "1";
  showTab(location.hash.slice(1));
  loadProviders();
  loadOutputs();
  resumeActiveJobs();
  startQueue();
}

function init() {
  document.body.append(el("datalist", { id: "sizes" }, ["auto", "1024x1024", "1536x1024", "1024x1536", "2K", "4K"].map((v) => el("option", { value: v }))));
  for (const c of $$("[data-options]")) optionFields(c, []);
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", async () => { await api("/api/session", { method: "DELETE" }); location.reload(); });
  generateForm();
  editForm();
  transparentForms();
  providerForm();
  initHistory();
  initQueue();
  initOutputs();
  start().catch((err) => {
    const banner = $("#banner");
    banner.textContent = err.message;
    banner.classList.remove("hidden");
  });
}

init();
