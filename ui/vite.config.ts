// Vite + Vitest configuration for the Mediasaur Desktop web UI (served by Tauri from ui/dist).
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Relative asset URLs: Tauri serves the bundle from its own origin, not from "/".
  base: "./",
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // WebKitGTK 2.4x on Linux is the oldest engine we ship to.
    target: ["es2021", "safari15"],
    // Keep every asset a separate file: the CSP has no data: in script-src/style-src.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
