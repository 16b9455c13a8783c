// Loads the wasm module built by wasm-bindgen (ui.js + ui_bg.wasm); Leptos mounts itself.
import init from "./ui.js";

init();
