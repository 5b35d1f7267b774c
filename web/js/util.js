// Small DOM helpers shared by the views.

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
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// replaceChildren that, like el(), flattens arrays and leaves out null/undefined/false.
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function showError(form, err) {
  const target = $("[data-error]", form);
  if (target) target.textContent = err ? (err.code ? `${err.message} (${err.code})` : String(err.message || err)) : "";
}

export function when(seconds) {
  const n = Number(seconds);
  if (!n) return "";
  return new Date(n * 1000).toLocaleString();
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// Form fields -> plain object, leaving out empty values.
export function formObject(form) {
  const out = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (value instanceof File) continue;
    if (value !== "") out[key] = value;
  }
  return out;
}
