// Ambient types: Vite's client types and the hook the end-to-end test calls.
/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { AddReport } from "./lib/bindings/AddReport";

declare global {
  interface Window {
    __MEDIASAUR_E2E__?: { drop(paths: string[]): Promise<AddReport> };
  }
}
