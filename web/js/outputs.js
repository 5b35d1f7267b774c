// Settings for where outputs go: storage targets and the pipeline, notifications (webhooks,
// email) and the provider proxy. Reads the redacted config (GET /api/config) and saves with the
// upstream's routes (PUT /api/storage, /api/notifications, /api/proxy). Secrets come back as
// {present: true}; sending that back unchanged keeps the stored secret, so the forms never show
// a stored secret and never need it: a password box left empty keeps what is stored.

import { api } from "./api.js";
import { describe, scrub } from "./errors.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";
import { $, el, fill, formObject, showError } from "./util.js";

let config = {};

const EXAMPLES = {
  local: { directory: "/srv/gpt-images", public_base_url: "" },
  s3: { bucket: "images", endpoint: "https://s3.example.com", region: "us-east-1", prefix: "gpt",
        access_key_id: { source: "env", env: "S3_KEY" }, secret_access_key: { source: "env", env: "S3_SECRET" } },
  webdav: { url: "https://dav.example.com/images", username: "me", password: { source: "file", value: "" } },
  http: { url: "https://upload.example.com/api", method: "POST", headers: {}, public_url_json_pointer: "/data/url" },
  sftp: { host: "files.example.com", port: 22, host_key_sha256: "SHA256:…", username: "me", remote_dir: "/srv/images",
          password: { source: "file", value: "" } },
};

// The words the page shows for the config's values (translated through a variable).
const LABELS = {
  origin: "origin", archive: "archive", local: "local folder",
  local_only: "local only", mirror: "local and archive copies", cloud_primary: "cloud first (origin)", cloud_archive_only: "archive copies only",
  system: "system settings", none: "no proxy", custom: "custom",
  local_only_reason: "Nothing was sent: notifications are off or this engine only keeps files locally.",
  no_eligible_channel: "Nothing was sent: no webhook or email is set up and switched on.",
};
const label = (value) => t(LABELS[value] || value);

function storage() { return config.storage || { targets: {} }; }

function pipeline() {
  const s = storage();
  if (s.pipeline) return { mode: s.pipeline.mode, origin: s.pipeline.origin || "", archives: s.pipeline.archives || [] };
  const archives = [...new Set([...(s.default_targets || []), ...(s.fallback_targets || [])])];
  return { mode: archives.length ? "cloud_archive_only" : "local_only", origin: "", archives };
}

async function load() {
  const body = await api("/api/config");
  config = body.config || body;
  render();
}

async function saveStorage(next, form, message) {
  showError(form, null);
  try {
    config = await api("/api/storage", { method: "PUT", json: next });
    render();
    if (message) toast({ title: message, kind: "ok", timeout: 3000 });
    return true;
  } catch (err) { showError(form, err); return false; }
}

function resultLine(out, ok, text) {
  out.className = `test-result ${ok ? "good" : "bad"}`;
  out.dataset.ok = String(ok);
  fill(out, icon(ok ? "check" : "alert", 15), el("span", { text }));
}

// A failed save or test in words; the engine's message (scrubbed) says which host or field.
function failure(code, message) {
  const d = describe({ code: code || "internal_error", message });
  const specific = d.specific || scrub(message);
  return [d.title, d.next, specific && specific !== d.title ? `(${specific})` : ""].filter(Boolean).join(" ");
}

async function testTarget(name, out, button) {
  button.disabled = true;
  out.className = "test-result muted";
  delete out.dataset.ok;
  out.textContent = t("Testing…");
  try {
    const r = await api(`/api/storage/${encodeURIComponent(name)}/test`, { method: "POST", json: {} });
    out.dataset.code = r.code || "";
    if (r.ok) resultLine(out, true, t("Works: a test image was written in {ms} ms.", { ms: Math.round(r.latency_ms ?? 0) }));
    else if (r.unsupported) resultLine(out, false, t("Uploading to this type of target is not available yet."));
    else resultLine(out, false, failure(r.code, r.message));
  } catch (err) {
    out.dataset.code = err.code || "";
    resultLine(out, false, failure(err.code, err.message));
  } finally { button.disabled = false; }
}

function editTarget(name, target) {
  const form = $("#storage-form");
  const { type, ...fields } = target;
  form.elements.name.value = name;
  form.elements.type.value = type;
  form.elements.fields.value = JSON.stringify(fields, null, 2);  // redacted: secrets are {present: true}
  form.elements.archive.checked = pipeline().archives.includes(name);
  form.scrollIntoView({ block: "nearest", behavior: "smooth" });
  form.elements.fields.focus();
}

async function removeTarget(name) {
  if (!window.confirm(t("Remove the storage target “{name}”?", { name }))) return;
  const next = structuredClone(storage());
  delete next.targets[name];
  const pl = pipeline();
  pl.archives = pl.archives.filter((a) => a !== name);
  if (pl.origin === name) { pl.origin = ""; pl.mode = pl.archives.length ? "mirror" : "local_only"; }
  if (!pl.archives.length && pl.mode !== "cloud_primary") pl.mode = "local_only";
  if (!pl.origin) delete pl.origin;
  next.pipeline = pl;
  next.default_targets = []; next.fallback_targets = [];
  await saveStorage(next, $("#storage-form"), t("Removed “{name}”.", { name }));
}

function targetCard(name, target, p) {
  const role = p.origin === name ? "origin" : p.archives.includes(name) ? "archive" : "";
  const result = el("p", { class: "test-result", role: "status", "data-test-result": name });
  const testBtn = el("button", { type: "button", class: "btn small", "data-act": "test" }, icon("plug", 15), el("span", { text: t("Test") }));
  testBtn.addEventListener("click", () => testTarget(name, result, testBtn));
  const where = target.directory || target.url || (target.bucket ? `s3://${target.bucket}/${target.prefix || ""}` : "") ||
    (target.host ? `${target.username || ""}@${target.host}:${target.remote_dir || ""}` : "");
  return el("article", { class: "provider", "data-target": name, "data-role": role },
    el("div", { class: "provider-head" },
      el("strong", { class: "provider-name", text: name }),
      el("span", { class: "chip", "data-type": target.type, text: label(target.type) }),
      role ? el("span", { class: "chip accent", "data-role-chip": role, text: label(role) }) : el("span", { class: "chip", text: t("not used") })),
    where ? el("p", { class: "muted small mono provider-status", text: where }) : null,
    el("div", { class: "row provider-actions" },
      testBtn,
      el("button", { type: "button", class: "btn small ghost", "data-act": "edit", text: t("Edit"), onclick: () => editTarget(name, target) }),
      el("button", { type: "button", class: "btn small danger", "data-act": "remove", text: t("Remove"), onclick: () => removeTarget(name) })),
    result);
}

function renderTargets() {
  const p = pipeline();
  const targets = Object.entries(storage().targets || {});
  fill($("#storage-targets"), targets.map(([name, target]) => targetCard(name, target, p)));
  $("#storage-empty").classList.toggle("hidden", targets.length > 0);
  const form = $("#pipeline-form");
  form.elements.mode.value = p.mode;
  form.elements.origin.value = p.origin;
  form.elements.archives.value = p.archives.join(", ");
}

function renderNotifications() {
  const n = config.notifications || {};
  const form = $("#notify-form");
  form.elements.enabled.checked = n.enabled !== false;
  const email = n.email || {};
  for (const key of ["smtp_host", "smtp_port", "from", "username"]) form.elements[key].value = email[key] ?? "";
  form.elements.tls.value = email.tls || "start-tls";
  form.elements.to.value = (email.to || []).join(", ");
  form.elements.email_enabled.checked = Boolean(email.enabled);
  form.elements.password.value = "";  // never shown: empty keeps the stored one
  form.elements.password.placeholder = email.password && email.password.present !== false ? t("stored; leave empty to keep") : "";
  const hook = (n.webhooks || []).find((h) => h.id === "page") || (n.webhooks || [])[0] || {};
  form.elements.webhook_url.value = hook.url || "";
}

function renderProxy() {
  const p = config.proxy || { mode: "system" };
  const form = $("#proxy-form");
  form.elements.mode.value = p.mode || "system";
  form.elements.url.value = p.url || "";  // redacted by the engine: user and password never come back
  form.elements.no_proxy.value = (p.no_proxy || []).join(", ");
}

function render() { renderTargets(); renderNotifications(); renderProxy(); }

const list = (text) => String(text || "").split(",").map((s) => s.trim()).filter(Boolean);

function saved(node, text) {
  node.textContent = text;
  setTimeout(() => { if (node.textContent === text) node.textContent = ""; }, 6000);
}

function initStorage() {
  const form = $("#storage-form");
  const type = $("select[name=type]", form);
  const fields = $("textarea[name=fields]", form);
  const example = () => { fields.value = JSON.stringify(EXAMPLES[type.value] || {}, null, 2); };
  type.addEventListener("change", example);
  example();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, null);
    let target;
    try { target = JSON.parse(fields.value || "{}"); } catch { target = null; }
    if (!target || typeof target !== "object" || Array.isArray(target)) { showError(form, new Error(t("The target's settings are not valid JSON."))); return; }
    const body = formObject(form);
    const name = (body.name || "").trim();
    const next = structuredClone(storage());
    next.targets = { ...(next.targets || {}), [name]: { ...target, type: type.value } };
    const pl = pipeline();
    if (body.archive) {
      pl.archives = [...new Set([...pl.archives, name])];
      if (pl.mode === "local_only") pl.mode = "mirror";
    } else pl.archives = pl.archives.filter((a) => a !== name);
    if (!pl.archives.length && pl.mode !== "cloud_primary") pl.mode = "local_only";
    if (!pl.origin) delete pl.origin;
    next.pipeline = pl;
    next.default_targets = []; next.fallback_targets = [];
    const message = t("Saved “{name}”.", { name });
    if (await saveStorage(next, form, message)) {
      form.elements.name.value = "";
      example();
      saved($("#storage-saved"), message);
      const card = $(`#storage-targets [data-target="${CSS.escape(name)}"]`);
      if (card) card.classList.add("just-saved");
    }
  });
  $("#pipeline-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    const next = structuredClone(storage());
    next.pipeline = { mode: f.elements.mode.value, archives: list(f.elements.archives.value) };
    if (f.elements.origin.value.trim()) next.pipeline.origin = f.elements.origin.value.trim();
    next.default_targets = []; next.fallback_targets = [];
    const message = t("Saved the pipeline: {mode}.", { mode: label(next.pipeline.mode) });
    if (await saveStorage(next, f)) saved($("#pipeline-saved"), message);
  });
}

function initNotifications() {
  const form = $("#notify-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, null);
    const f = form.elements;
    const current = config.notifications || {};
    const mine = (current.webhooks || []).find((h) => h.id === "page") || {};
    const webhooks = (current.webhooks || []).filter((h) => h.id !== "page");  // others keep their redacted secrets
    if (f.webhook_url.value.trim()) webhooks.unshift({ enabled: true, ...mine, id: "page", name: mine.name || "Web page", url: f.webhook_url.value.trim() });
    const email = { ...(current.email || {}), enabled: f.email_enabled.checked, smtp_host: f.smtp_host.value.trim(),
      smtp_port: Number(f.smtp_port.value || 587), tls: f.tls.value, username: f.username.value.trim(), from: f.from.value.trim(), to: list(f.to.value) };
    if (f.password.value) email.password = { source: "file", value: f.password.value };
    if (!email.username) delete email.username;
    try {
      config = await api("/api/notifications", { method: "PUT", json: { ...current, enabled: f.enabled.checked, email, webhooks } });
      render();
      resultLine($("#notify-result"), true, t("Saved."));
    } catch (err) { $("#notify-result").textContent = ""; showError(form, err); }
  });
  $("#notify-test").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const out = $("#notify-result");
    button.disabled = true;
    out.className = "test-result muted";
    delete out.dataset.ok;
    out.textContent = t("Sending…");
    try {
      const r = await api("/api/notifications/test", { method: "POST", json: {} });
      out.dataset.codes = r.deliveries.map((d) => d.code || "ok").join(" ");
      if (!r.deliveries.length) resultLine(out, false, label(r.reason === "local_only" ? "local_only_reason" : "no_eligible_channel"));
      else {
        resultLine(out, r.ok, r.deliveries.map((d) => `${d.channel === "email" ? t("Email") : d.name || t("Webhook")}: ${d.ok ? t("delivered") : failure(d.code, d.message)}`).join(" · "));
      }
    } catch (err) { out.dataset.codes = err.code || ""; resultLine(out, false, failure(err.code, err.message)); }
    finally { button.disabled = false; }
  });
}

function initProxy() {
  const form = $("#proxy-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, null);
    const f = form.elements;
    const out = $("#proxy-result");
    try {
      config = await api("/api/proxy", { method: "PUT", json: { mode: f.mode.value, url: f.url.value.trim(), no_proxy: list(f.no_proxy.value) } });
      render();
      out.dataset.mode = config.proxy.mode;
      saved(out, t("Saved: {mode}.", { mode: label(config.proxy.mode) }));
    } catch (err) { out.textContent = ""; delete out.dataset.mode; showError(form, err); }
  });
}

export function initOutputs() {
  initStorage();
  initNotifications();
  initProxy();
  document.addEventListener("langchange", () => {
    for (const id of ["#storage-saved", "#pipeline-saved", "#proxy-result", "#notify-result"]) $(id).replaceChildren();  // said in the old language
    if (config.storage || config.notifications) render();
  });
}

export function loadOutputs() {
  load().catch((err) => {
    $("#storage-empty").classList.add("hidden");
    fill($("#storage-targets"), el("p", { class: "test-result bad", text: failure(err.code, err.message) }));
  });
}
