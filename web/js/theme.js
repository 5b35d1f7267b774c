// Dark (the default, as the upstream app) or light, or follow the system; kept in
// localStorage "gpt2.theme". Loaded as a plain script in <head> so the first paint
// already has the right colours (no inline script: the page's CSP forbids it).
(function () {
  var KEY = "gpt2.theme";
  function stored() { try { return localStorage.getItem(KEY) || "system"; } catch (e) { return "system"; } }
  function resolve(choice) {
    if (choice === "dark" || choice === "light") return choice;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
  }
  function apply(choice) {
    var theme = resolve(choice);
    document.documentElement.dataset.theme = theme;
    var meta = document.querySelector("meta[name=theme-color]");
    if (meta) meta.setAttribute("content", theme === "light" ? "#f4f5fb" : "#0d0f17");
  }
  window.gpt2Theme = {
    choice: stored,
    set: function (choice) {
      try { if (choice === "system") localStorage.removeItem(KEY); else localStorage.setItem(KEY, choice); } catch (e) { /* ignore */ }
      apply(choice);
    },
    current: function () { return document.documentElement.dataset.theme; },
  };
  apply(stored());
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: light)").addEventListener("change", function () { apply(stored()); });
  }
})();
