// Small DOM helpers shared by the views.

import { describe } from "./errors.js";
import { t } from "./i18n.js";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// replaceChildren that, like el(), flattens arrays and leaves out null/undefined/false.
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// The plain-language error block: what happened, the next step, the specifics and a way forward.
export function errorBlock(err) {
  const d = describe(err);
  const block = el("div", { class: "err", "data-code": d.code },
    el("strong", { class: "err-title", text: d.title }),
    el("span", { class: "err-next", text: d.next }),
    d.specific ? el("span", { class: "err-specific", text: d.specific }) : null,
    d.action === "settings" ? el("a", { class: "btn small", href: "#settings", text: t("Open Settings") }) : null,
    el("code", { class: "err-code", title: t("Error code"), text: d.code }));
  return block;
}

export function showError(form, err) {
  const target = $("[data-error]", form);
  if (!target) return;
  if (!err) { target.replaceChildren(); delete target.dataset.code; return; }
  const e = err.code ? err : { code: "invalid_argument", message: String(err.message || err) };
  if (!err.code) {
    // A page-side check: the message is already in words.
    target.replaceChildren(el("div", { class: "err", "data-code": "form" }, el("strong", { class: "err-title", text: e.message })));
  } else {
    target.replaceChildren(errorBlock(e));
  }
  target.dataset.code = err.code || "form";
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// Form fields -> plain object, leaving out empty values and files.
export function formObject(form) {
  const out = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (value instanceof File) continue;
    if (value !== "") out[key] = value;
  }
  return out;
}

export function promptOf(job) {
  const request = (job && job.metadata && job.metadata.request) || {};
  return request.prompt || (job && job.metadata && job.metadata.prompt) || "";
}
