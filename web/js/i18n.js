// English and Simplified Chinese. English text is the key: t("Generate") answers the
// Chinese from i18n-zh.js when the page speaks Chinese, else the text itself.
// The language comes from the browser (navigator.languages) unless the reader chose
// one (localStorage "gpt2.lang"); static markup is translated through data-i18n*
// attributes, and views that build their own text re-render on "langchange".

import { ZH } from "./i18n-zh.js";

const KEY = "gpt2.lang";

function stored() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

export function browserLang() {
  const first = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return /^zh/i.test(first) ? "zh" : "en";
}

function detect() {
  const saved = stored();
  return saved === "en" || saved === "zh" ? saved : browserLang();
}

let current = detect();

export const lang = () => current;
export const choice = () => stored() || "auto";

export function t(text, vars) {
  let out = current === "zh" && Object.hasOwn(ZH, text) ? ZH[text] : text;
  if (vars) out = out.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
  return out;
}

const ATTRS = [["i18nPlaceholder", "placeholder"], ["i18nTitle", "title"], ["i18nAria", "aria-label"]];

export function applyI18n(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    if (!node.dataset.i18nKey) node.dataset.i18nKey = node.dataset.i18n || node.textContent.trim();
    node.textContent = t(node.dataset.i18nKey);
  }
  for (const [data, attr] of ATTRS) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const node of root.querySelectorAll(selector)) node.setAttribute(attr, t(node.dataset[data]));
  }
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  document.title = t("gpt-image-2 studio");
}

export function setLang(value) {
  try {
    if (value === "en" || value === "zh") localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  } catch { /* private mode: this page only */ }
  current = value === "en" || value === "zh" ? value : browserLang();
  applyI18n(document);
  document.dispatchEvent(new CustomEvent("langchange", { detail: { lang: current } }));
}

// Numbers and times in the reader's language.
export function elapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const rest = String(s % 60).padStart(2, "0");
  return m ? `${m}:${rest}` : t("{s}s", { s });
}

export function when(epochSeconds) {
  const n = Number(epochSeconds);
  if (!n) return "";
  return new Date(n * 1000).toLocaleString(current === "zh" ? "zh-CN" : undefined);
}
