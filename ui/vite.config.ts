// One HTML entry per window of the app; `viewer` is also served by the ingest server at /viewer/.
// Tauri embeds dist/ into the binary at compile time (tauri.conf.json `frontendDist`).
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

const windows = ["status", "prompt", "indicator", "enroll", "viewer"];

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    rollupOptions: {
      input: Object.fromEntries(windows.map((w) => [w, resolve(import.meta.dirname, `${w}.html`)])),
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
