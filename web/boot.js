// Starts the app (a file, not an inline script: the page's Content-Security-Policy allows
// scripts only from this origin).
import init from "/pkg/oi_web.js?v=__VERSION__";
init({ module_or_path: "/pkg/oi_web_bg.wasm?v=__VERSION__" }).catch((e) => {
  const boot = document.getElementById("boot");
  if (boot) boot.textContent = "Open Inspect failed to load: " + e;
});
