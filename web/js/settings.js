// Providers: the built-in `openai` and `codex` with where their credentials were found
// (GET /api/auth), the configured ones, a test that shows latency and the answer, and
// the add form with a confirmation. Also what the forms need: the provider list, which
// ones can follow a painted mask, and whether any provider is usable at all (the
// first-run notice). Reads `GET /api/config` in either shape: `data.config ?? data`.

import { api } from "./api.js";
import { describe } from "./errors.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { $, el, errorBlock, fill, formObject, showError } from "./util.js";

export const state = { providers: [], defaultProvider: null, loaded: false, auth: null };
const listeners = [];
export function onProviders(fn) { listeners.push(fn); }

function credentialPresent(p) {
  const key = p.credentials && p.credentials.api_key;
  if (!key) return p.type !== "codex" ? false : null;
  return key.present !== false;
}

export function regionMode(p) {
  if (!p) return "reference-hint";
  if (p.edit_region_mode) return p.edit_region_mode;
  return p.type === "openai" || (p.builtin && p.name === "openai") ? "native-mask" : "reference-hint";
}

// Built-in openai/codex (their readiness from /api/auth) and the configured providers. `config` is
// GET /api/config in either shape: {config: {...}} or the config object itself.
export function merge(config, listed, auth) {
  const cfg = (config && (config.config ?? config)) || {};
  const configured = {};
  for (const source of [cfg.providers || {}, (listed && listed.providers) || {}]) {
    for (const [name, entry] of Object.entries(source)) configured[name] = { ...(configured[name] || {}), ...entry };
  }
  const authed = (auth && auth.providers) || {};
  const out = [];
  const builtins = {
    openai: { type: "openai", builtin: true, edit_region_mode: "native-mask" },
    codex: { type: "codex", builtin: true, edit_region_mode: "reference-hint" },
  };
  for (const [name, base] of Object.entries(builtins)) {
    const entry = configured[name];
    const status = authed[name] || {};
    if (entry && !entry.builtin) continue;  // a configured entry of that name replaces the built-in
    out.push({ ...base, ...(entry || {}), name, builtin: true, status, ready: Boolean(status.ready) });
  }
  for (const [name, entry] of Object.entries(configured)) {
    if (entry.builtin) continue;  // merged into the built-in above
    const ready = entry.type === "codex" ? Boolean((authed.codex || {}).ready) || credentialPresent(entry) === true : credentialPresent(entry) !== false;
    out.push({ ...entry, name, builtin: false, ready });
  }
  return { providers: out, defaultProvider: (listed && listed.default_provider) ?? cfg.default_provider ?? null };
}

export const usable = () => state.providers.some((p) => p.ready);
export const byName = (name) => state.providers.find((p) => p.name === name);

// The provider a form's "auto" stands for: the default, else the engine's automatic pick.
export function effectiveProvider(choice) {
  if (choice) return byName(choice);
  if (state.defaultProvider) return byName(state.defaultProvider);
  return state.providers.find((p) => p.builtin && p.name === "openai" && p.ready) || state.providers.find((p) => p.builtin && p.name === "codex" && p.ready) || null;
}

export async function loadProviders() {
  const [config, listed, auth] = await Promise.all([
    api("/api/config").catch(() => null),
    api("/api/providers"),
    api("/api/auth").catch(() => null),
  ]);
  Object.assign(state, merge(config, listed, auth), { loaded: true, auth });
  renderProviders();
  for (const fn of listeners) fn(state);
  return state;
}

function statusLine(p) {
  const s = p.status || {};
  if (p.builtin && p.name === "openai") {
    if (s.ready) return [true, t("API key found in the environment variable {env}.", { env: s.env_var || "OPENAI_API_KEY" })];
    if (s.auth_source && s.auth_source !== "missing" && s.api_key_present) return [true, t("API key found ({source}).", { source: s.auth_source })];
    return [false, t("No API key found. Set {env} where the engine runs, or add a provider below with your key.", { env: s.env_var || "OPENAI_API_KEY" })];
  }
  if (p.builtin && p.name === "codex") {
    if (s.ready) return [true, t("Codex sign-in found at {path}.", { path: s.auth_file || "auth.json" })];
    if (s.exists) return [false, t("Codex sign-in at {path} cannot be used: {why} Run `codex login` again.", { path: s.auth_file, why: s.message || "" })];
    return [false, t("Not signed in to Codex. Run `codex login` on the machine running the engine.")];
  }
  const key = p.credentials && p.credentials.api_key;
  if (!key) return p.type === "codex" ? [p.ready, p.ready ? t("Uses the Codex sign-in.") : t("Not signed in to Codex. Run `codex login` on the machine running the engine.")] : [false, t("No key set.")];
  if (key.present === false) return [false, t("The key ({source}) is missing.", { source: key.source === "env" ? key.env || "env" : key.source })];
  const where = { file: t("saved in the config file"), env: t("from the environment variable {env}", { env: key.env || "" }), keychain: t("in the system keychain") }[key.source] || key.source;
  return [true, t("Key {where}.", { where })];
}

async function testProvider(p, out, button) {
  button.disabled = true;
  out.className = "test-result muted";
  out.textContent = t("Testing…");
  const t0 = performance.now();
  try {
    const r = await api(`/api/providers/${encodeURIComponent(p.name)}/test`, { method: "POST" });
    const ms = Math.round(r.latency_ms ?? performance.now() - t0);
    const endpoint = r.endpoint || {};
    const selection = (r.provider_selection && r.provider_selection.error) || null;
    let reason = (r.message || endpoint.error || "").replace(/^\[Errno \d+\]\s*/, "");
    if (selection && selection.code) { const d = describe(selection); reason = `${d.title} ${d.next}`; r.ok = false; }
    out.className = `test-result ${r.ok === false ? "bad" : "good"}`;
    out.dataset.ok = String(r.ok !== false);
    out.dataset.latency = String(ms);
    fill(out, icon(r.ok === false ? "alert" : "check", 15),
      el("span", { text: r.ok === false
        ? t("Failed after {ms} ms: {reason}", { ms, reason: reason || t("no answer") })
        : t("Connected in {ms} ms. {reason}", { ms, reason: reason && reason !== "ok" ? reason : t("The provider answers.") }) }));
  } catch (err) {
    const ms = Math.round(performance.now() - t0);
    out.className = "test-result bad";
    out.dataset.ok = "false";
    out.dataset.latency = String(ms);
    const d = describe(err);
    fill(out, icon("alert", 15), el("span", { text: `${d.title} ${d.next}` }));
  } finally {
    button.disabled = false;
  }
}

function providerCard(p) {
  const [ok, line] = statusLine(p);
  const isDefault = p.name === state.defaultProvider;
  const result = el("p", { class: "test-result", role: "status" });
  const testBtn = el("button", { type: "button", class: "btn small", "data-act": "test" }, icon("plug", 15), el("span", { text: t("Test") }));
  testBtn.addEventListener("click", () => testProvider(p, result, testBtn));
  return el("article", { class: `provider ${ok ? "ready" : "not-ready"}`, "data-provider": p.name, "data-ready": String(ok) },
    el("div", { class: "provider-head" },
      el("span", { class: `dot ${ok ? "ok" : "off"}`, "aria-hidden": "true" }),
      el("strong", { class: "provider-name", text: p.name }),
      p.builtin ? el("span", { class: "chip", text: t("built-in") }) : null,
      isDefault ? el("span", { class: "chip accent", text: t("default") }) : null,
      el("span", { class: "chip", text: p.type || "" }),
      el("span", { class: "chip", title: t("How this provider edits a region"), text: regionMode(p) === "native-mask" ? t("mask editing") : t("no native mask") })),
    el("p", { class: `provider-status ${ok ? "good" : "bad"}`, text: line }),
    p.api_base ? el("p", { class: "muted small mono", text: p.api_base }) : null,
    el("div", { class: "row provider-actions" },
      p.builtin ? null : testBtn,  // a built-in's status above is its test: the engine probes configured entries
      isDefault || (p.builtin && !p.ready) ? null : el("button", { type: "button", class: "btn small ghost", "data-act": "default", text: t("Make default"), onclick: async () => {
        try { await api("/api/providers/default", { method: "POST", json: { name: p.name } }); await loadProviders(); toast({ title: t("“{name}” is now the default provider.", { name: p.name }), kind: "ok", timeout: 3000 }); }
        catch (err) { fill(result, errorBlock(err)); }
      } }),
      p.builtin ? null : el("button", { type: "button", class: "btn small danger", "data-act": "remove", text: t("Remove"), onclick: async () => {
        if (!window.confirm(t("Remove the provider “{name}”?", { name: p.name }))) return;
        try { await api(`/api/providers/${encodeURIComponent(p.name)}`, { method: "DELETE" }); await loadProviders(); toast({ title: t("Removed “{name}”.", { name: p.name }), kind: "ok", timeout: 3000 }); }
        catch (err) { fill(result, errorBlock(err)); }
      } })),
    result);
}

export function renderProviders() {
  const list = $("#providers");
  if (!list) return;
  fill(list, state.providers.map(providerCard));
  $("#setup").classList.toggle("hidden", !state.loaded || usable());
  document.body.dataset.usable = String(usable());
}

export function initSettings() {
  const form = $("#provider-form");
  const type = $("select[name=type]", form);
  const syncType = () => form.classList.toggle("codex", type.value === "codex");
  type.addEventListener("change", syncType);
  syncType();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formObject(form);
    const name = (body.name || "").trim();
    delete body.name;
    body.set_default = Boolean(body.set_default);
    if (body.supports_n) body.supports_n = true;
    showError(form, null);
    $("#provider-saved").textContent = "";
    const replacing = state.providers.some((p) => p.name === name && !p.builtin);
    if (replacing && !window.confirm(t("Replace the provider “{name}”?", { name }))) return;
    try {
      await api(`/api/providers/${encodeURIComponent(name)}`, { method: "PUT", json: body });
      form.reset();
      syncType();
      await loadProviders();
      const isDefault = state.defaultProvider === name;
      const message = isDefault ? t("Saved “{name}”. It is now the default provider.", { name }) : t("Saved “{name}”.", { name });
      $("#provider-saved").textContent = message;
      $("#provider-saved").dataset.saved = name;
      toast({ title: message, kind: "ok", timeout: 4000 });
      const saved = $(`#providers [data-provider="${CSS.escape(name)}"]`);
      if (saved) { saved.classList.add("just-saved"); saved.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
    } catch (err) { showError(form, err); }
  });
  document.addEventListener("langchange", renderProviders);
}
