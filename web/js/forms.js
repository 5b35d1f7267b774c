// The option fields of the image forms (provider, size, quality, format, background,
// count, and the rarer ones under "More options"), the transparent options, and
// filling a form back from a finished job ("reuse prompt and settings").

import { t } from "./i18n.js";
import { regionMode, state as providers } from "./settings.js";
import { $, $$, el, fill } from "./util.js";

export const PROFILES = ["generic", "icon", "product", "sticker", "seal", "translucent", "glow", "shadow", "effect"];
const MATERIALS = ["", "standard", "soft-3d", "flat-icon", "sticker", "glow"];
const LABELS = { "": "default", auto: "auto", low: "low", medium: "medium", high: "high", transparent: "transparent", opaque: "opaque" };

function select(name, label, values, current = "") {
  return el("label", {}, el("span", { text: t(label) }),
    el("select", { name }, values.map((v) => el("option", { value: v, text: LABELS[v] !== undefined ? t(LABELS[v]) : v, selected: v === current }))));
}

function providerSelect(current) {
  const list = providers.providers;
  return el("label", {}, el("span", { text: t("Provider") }),
    el("select", { name: "provider", "data-providers": true },
      el("option", { value: "", text: providers.defaultProvider ? t("default ({name})", { name: providers.defaultProvider }) : t("automatic") }),
      list.map((p) => el("option", { value: p.name, selected: p.name === current, text: `${p.name}${p.ready ? "" : ` — ${t("not set up")}`}${regionMode(p) === "native-mask" ? "" : ` · ${t("no native mask")}`}` }))));
}

export function optionFields(form) {
  const main = $("[data-options]", form);
  const more = $("[data-more-options]", form);
  if (!main) return;
  const keep = {};
  for (const field of $$("input, select", form)) if (field.name && field.closest("[data-options], [data-more-options]")) keep[field.name] = field.value;
  const noBackground = main.hasAttribute("data-no-background");
  fill(main,
    providerSelect(keep.provider || ""),
    el("label", {}, el("span", { text: t("Size") }), el("input", { name: "size", list: "sizes", placeholder: t("auto, 1024x1024, 2K, 4K"), value: keep.size || "" })),
    select("quality", "Quality", ["", "auto", "low", "medium", "high"], keep.quality),
    select("format", "Format", ["", "png", "jpeg", "webp"], keep.format),
    noBackground ? null : select("background", "Background", ["", "auto", "transparent", "opaque"], keep.background),
    el("label", {}, el("span", { text: t("Images") }), el("input", { name: "n", type: "number", min: 1, max: 10, placeholder: "1", value: keep.n || "" })));
  if (more) {
    fill(more,
      el("label", {}, el("span", { text: t("Compression") }), el("input", { name: "compression", type: "number", min: 0, max: 100, placeholder: "0–100", value: keep.compression || "" })),
      select("moderation", "Moderation", ["", "auto", "low"], keep.moderation),
      el("label", {}, el("span", { text: t("Partial previews") }), el("input", { name: "partial_images", type: "number", min: 0, max: 3, placeholder: "0", value: keep.partial_images || "" })),
      el("label", {}, el("span", { text: t("Model") }), el("input", { name: "model", placeholder: t("provider default"), value: keep.model || "" })),
      el("label", {}, el("span", { text: t("Instructions (Codex)") }), el("input", { name: "instructions", value: keep.instructions || "" })));
  }
}

export function transparentFields(container) {
  fill(container,
    select("method", "Method", ["", "auto", "chroma", "dual"]),
    select("profile", "Profile", ["", ...PROFILES]),
    select("material", "Material", MATERIALS),
    el("label", {}, el("span", { text: t("Matte colour") }), el("input", { name: "matte_color", placeholder: t("auto or #00ff00") })),
    el("label", {}, el("span", { text: t("Threshold") }), el("input", { name: "threshold", type: "number", step: "any" })),
    el("label", {}, el("span", { text: t("Softness") }), el("input", { name: "softness", type: "number", step: "any" })),
    el("label", {}, el("span", { text: t("Spill suppression") }), el("input", { name: "spill_suppression", type: "number", step: "any", min: 0, max: 1 })),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "strict", value: "1" }), el("span", { text: t("Strict") })));
}

// The request a job was made from, flattened (metadata.request wins over older top-level keys).
export function requestOf(job) {
  const meta = job.metadata || {};
  return { ...meta, ...(meta.request || {}) };
}

const REUSED = ["size", "quality", "format", "background", "n", "compression", "moderation", "partial_images", "model", "input_fidelity"];

export function fillForm(form, job) {
  const request = requestOf(job);
  const prompt = $("textarea[name=prompt]", form);
  if (prompt) prompt.value = request.prompt || "";
  for (const name of REUSED) {
    const field = $(`[name="${name}"]`, form);
    if (!field) continue;
    const value = request[name];
    field.value = value === null || value === undefined || (name === "partial_images" && !value) ? "" : String(value);
  }
  const provider = $("select[name=provider]", form);
  if (provider) provider.value = providers.providers.some((p) => p.name === job.provider) ? job.provider : "";
  const more = $("details.more", form);
  if (more && ["compression", "moderation", "model"].some((k) => request[k])) more.open = true;
}
