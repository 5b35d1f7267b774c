// Toasts: a stack at the bottom right (bottom centre on a phone). A finished job's
// toast carries its thumbnail and opens the viewer; errors stay until dismissed.

import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { $, el } from "./util.js";

export function toast({ title, body = "", image = null, kind = "info", action = null, timeout = 6000 }) {
  const close = el("button", { type: "button", class: "icon-btn toast-close", "aria-label": t("Dismiss") }, icon("close", 16));
  const node = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    image ? el("img", { class: "toast-thumb checker", src: image, alt: "" }) : el("span", { class: "toast-icon" }, icon(kind === "error" ? "alert" : kind === "ok" ? "check" : "create", 18)),
    el("div", { class: "toast-text" },
      el("strong", { text: title }),
      body ? el("span", { class: "muted", text: body }) : null,
      action ? el("button", { type: "button", class: "link toast-action", text: action.label, onclick: () => { action.run(); dismiss(); } }) : null),
    close);
  const dismiss = () => { node.classList.add("leaving"); setTimeout(() => node.remove(), 200); };
  close.addEventListener("click", dismiss);
  if (image) node.querySelector(".toast-thumb").addEventListener("click", () => { if (action) action.run(); dismiss(); });
  const stack = $("#toasts");
  stack.append(node);
  while (stack.children.length > 4) stack.firstElementChild.remove();
  if (timeout && kind !== "error") setTimeout(dismiss, timeout);
  return node;
}
