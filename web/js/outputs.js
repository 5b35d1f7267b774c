// Settings for where outputs go: storage targets and the pipeline, notifications (webhooks,
// email) and the provider proxy. Reads the redacted config (GET /api/config) and saves with the
// upstream's routes (PUT /api/storage, /api/notifications, /api/proxy). Secrets come back as
// {present: true}; sending that back unchanged keeps the stored secret.

import { api } from "./api.js";
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

async function saveStorage(next, form) {
  showError(form, null);
  try {
    config = await api("/api/storage", { method: "PUT", json: next });
    render();
    return true;
  } catch (err) { showError(form, err); return false; }
}

function renderTargets() {
  const table = $("#storage-targets");
  const p = pipeline();
  const rows = Object.entries(storage().targets || {}).map(([name, t]) => {
    const result = el("span", { class: "muted", "data-test-result": name });
    const role = p.origin === name ? "origin" : p.archives.includes(name) ? "archive" : "";
    return el("tr", { "data-target": name },
      el("td", { text: name }), el("td", { text: t.type }), el("td", { text: role }),
      el("td", {},
        el("button", { type: "button", class: "secondary", text: "Test", onclick: async () => {
          result.textContent = "testing…";
          try {
            const r = await api(`/api/storage/${encodeURIComponent(name)}/test`, { method: "POST", json: {} });
            result.textContent = r.ok ? `ok (${r.latency_ms} ms)` : `${r.message} (${r.code || "failed"})`;
          } catch (err) { result.textContent = `${err.message} (${err.code})`; }
        } }),
        el("button", { type: "button", class: "secondary", text: "Remove", onclick: async () => {
          const next = structuredClone(storage());
          delete next.targets[name];
          const pl = pipeline();
          pl.archives = pl.archives.filter((a) => a !== name);
          if (pl.origin === name) { pl.origin = ""; pl.mode = pl.archives.length ? "mirror" : "local_only"; }
          if (!pl.archives.length && pl.mode !== "cloud_primary") pl.mode = "local_only";
          next.pipeline = pl;
          next.default_targets = []; next.fallback_targets = [];
          await saveStorage(next, $("#storage-form"));
        } }),
        result));
  });
  fill(table, el("tr", {}, ["Name", "Type", "Role", ""].map((h) => el("th", { text: h }))), rows);
  $("#pipeline-form select[name=mode]").value = p.mode;
  $("#pipeline-form input[name=origin]").value = p.origin;
  $("#pipeline-form input[name=archives]").value = p.archives.join(", ");
}

function renderNotifications() {
  const n = config.notifications || {};
  const form = $("#notify-form");
  form.elements.enabled.checked = n.enabled !== false;
  const email = n.email || {};
  for (const key of ["smtp_host", "smtp_port", "from"]) form.elements[key].value = email[key] ?? "";
  form.elements.tls.value = email.tls || "start-tls";
  form.elements.to.value = (email.to || []).join(", ");
  form.elements.email_enabled.checked = Boolean(email.enabled);
  const hook = (n.webhooks || [])[0] || {};
  form.elements.webhook_url.value = hook.url || "";
}

function renderProxy() {
  const p = config.proxy || { mode: "system" };
  const form = $("#proxy-form");
  form.elements.mode.value = p.mode || "system";
  form.elements.url.value = p.url || "";
  form.elements.no_proxy.value = (p.no_proxy || []).join(", ");
}

function render() { renderTargets(); renderNotifications(); renderProxy(); }

const list = (text) => String(text || "").split(",").map((s) => s.trim()).filter(Boolean);

export function initOutputs() {
  const form = $("#storage-form");
  const type = $("select[name=type]", form);
  const fields = $("textarea[name=fields]", form);
  const example = () => { fields.value = JSON.stringify(EXAMPLES[type.value] || {}, null, 2); };
  type.addEventListener("change", example);
  example();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let target;
    try { target = JSON.parse(fields.value || "{}"); } catch { showError(form, new Error("The target fields are not valid JSON.")); return; }
    const body = formObject(form);
    const next = structuredClone(storage());
    next.targets = { ...(next.targets || {}), [body.name]: { ...target, type: type.value } };
    if (body.archive) {
      const pl = pipeline();
      pl.archives = [...new Set([...pl.archives, body.name])];
      if (pl.mode === "local_only") pl.mode = "mirror";
      next.pipeline = pl;
    }
    if (await saveStorage(next, form)) $("input[name=name]", form).value = "";
  });
  $("#pipeline-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    const next = structuredClone(storage());
    next.pipeline = { mode: f.elements.mode.value, archives: list(f.elements.archives.value) };
    if (f.elements.origin.value.trim()) next.pipeline.origin = f.elements.origin.value.trim();
    await saveStorage(next, f);
  });
  $("#notify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    showError(f, null);
    const current = config.notifications || {};
    const webhooks = (current.webhooks || []).filter((h) => h.id !== "page");
    if (f.elements.webhook_url.value.trim()) webhooks.unshift({ ...((current.webhooks || []).find((h) => h.id === "page") || {}), id: "page", name: "Web page", url: f.elements.webhook_url.value.trim() });
    const email = { ...(current.email || {}), enabled: f.elements.email_enabled.checked, smtp_host: f.elements.smtp_host.value.trim(),
      smtp_port: Number(f.elements.smtp_port.value || 587), tls: f.elements.tls.value, from: f.elements.from.value.trim(), to: list(f.elements.to.value) };
    try {
      config = await api("/api/notifications", { method: "PUT", json: { ...current, enabled: f.elements.enabled.checked, email, webhooks } });
      render();
      $("#notify-result").textContent = "Saved.";
    } catch (err) { showError(f, err); }
  });
  $("#notify-test").addEventListener("click", async () => {
    const out = $("#notify-result");
    out.textContent = "sending…";
    try {
      const r = await api("/api/notifications/test", { method: "POST", json: {} });
      out.textContent = r.deliveries.length
        ? r.deliveries.map((d) => `${d.channel} ${d.name}: ${d.ok ? "ok" : `${d.message} (${d.code})`}`).join(" · ")
        : `nothing sent (${r.reason})`;
    } catch (err) { out.textContent = `${err.message} (${err.code})`; }
  });
  $("#proxy-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    showError(f, null);
    try {
      config = await api("/api/proxy", { method: "PUT", json: { mode: f.elements.mode.value, url: f.elements.url.value.trim(), no_proxy: list(f.elements.no_proxy.value) } });
      render();
      $("#proxy-result").textContent = `Saved: ${config.proxy.mode}.`;
    } catch (err) { showError(f, err); }
  });
}

export function loadOutputs() { load().catch((err) => { $("#storage-targets").replaceChildren(el("tr", {}, el("td", { class: "error", text: err.message }))); }); }
