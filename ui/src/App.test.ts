// The shell: start-up order, ui_ready once, theme, the e2e drop hook, events, shortcuts, first-run.
import { clearMocks, mockWindows } from "@tauri-apps/api/mocks";
import type { Channel } from "@tauri-apps/api/core";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import type { AppEvent } from "./lib/bindings/AppEvent";
import type { Transfer } from "./lib/bindings/Transfer";
import { app } from "./lib/stores/app.svelte";
import { queue } from "./lib/stores/queue.svelte";
import { target } from "./lib/stores/target.svelte";
import { profile, settings, transfer } from "./test/fixtures";
import { IpcRecorder } from "./test/ipc";

const ipc = new IpcRecorder();
let needsSetup = false;
let channel: Channel<AppEvent> | null = null;
/** Set by a test to hold list_transfers' answer back until it says so. */
let transfersGate: Promise<Transfer[]> | null = null;

beforeEach(() => {
  needsSetup = false;
  channel = null;
  transfersGate = null;
  queue.reset();
  app.view = "queue";
  app.ready = false;
  app.settings = null;
  target.useProfile(null);
  mockWindows("main");
  ipc.mock((command, args) => {
    switch (command) {
      case "subscribe":
        channel = (args as { onEvent: Channel<AppEvent> }).onEvent;
        return null;
      case "app_status":
        return { version: "0.1.0", needs_setup: needsSetup, local_server: "http://127.0.0.1:8080", default_profile: needsSetup ? null : "default" };
      case "list_profiles":
        return [profile({ prefix: "inbox/" })];
      case "get_settings":
        return settings({ theme: "dark" });
      case "list_transfers":
        return transfersGate ?? [];
      case "transfer_counts":
        return { queued: 0, running: 0, paused: 0, failed: 0, done: 0, canceled: 0 };
      case "add_paths":
        return { queued: 2, already_queued: 0, failures: [], warnings: [] };
      case "plugin:event|listen":
        return 1;
      default:
        return null;
    }
  });
});
// Unmount (which stops the drag-drop listener through the mocked IPC) before the mocks go.
afterEach(() => {
  cleanup();
  clearMocks();
});


describe("App", () => {
  it("subscribes first, loads, marks itself ready and calls ui_ready once", async () => {
    render(App);
    const root = screen.getByTestId("app-root");
    await waitFor(() => expect(root.dataset.ready).toBe("true"));
    await waitFor(() => expect(ipc.names()).toContain("ui_ready"));
    expect(ipc.names()[0]).toBe("subscribe");
    expect(ipc.names().indexOf("app_status")).toBeGreaterThan(0);
    expect(ipc.names().filter((c) => c === "ui_ready")).toHaveLength(1);
    expect(ipc.names().filter((c) => c === "subscribe")).toHaveLength(1);
    expect(root.dataset.theme).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(screen.getByTestId("view-queue")).toBeTruthy();
    expect((screen.getByTestId("target-prefix") as HTMLInputElement).value).toBe("inbox/");
  });

  it("does not wait for the queue's pages to start: the queue says it is loading until they arrive", async () => {
    let release: (rows: Transfer[]) => void = () => undefined;
    transfersGate = new Promise((resolve) => (release = resolve));
    render(App);
    const root = screen.getByTestId("app-root");
    await waitFor(() => expect(root.dataset.ready).toBe("true"));
    expect(ipc.names()).toContain("list_transfers");
    expect(ipc.names()).toContain("list_profiles");
    expect(ipc.names()).toContain("get_settings");
    const list = screen.getByTestId("queue-list");
    expect(list.textContent).toContain("Loading the queue…");
    expect(list.getAttribute("aria-busy")).toBe("true");
    expect((screen.getByTestId("target-prefix") as HTMLInputElement).value).toBe("inbox/");

    release([transfer(1)]);
    await waitFor(() => expect(list.getAttribute("aria-busy")).toBe("false"));
    expect(screen.getAllByTestId("transfer-row")).toHaveLength(1);
    expect(list.textContent).not.toContain("Loading the queue…");
  });

  it("drops through the e2e hook to add_paths with the drop target's destination", async () => {
    render(App);
    await waitFor(() => expect(screen.getByTestId("app-root").dataset.ready).toBe("true"));
    await fireEvent.input(screen.getByTestId("target-bucket"), { target: { value: "photos" } });
    const report = await window.__MEDIASAUR_E2E__!.drop(["/home/ada/a.png", "/home/ada/b.png"]);
    expect(report.queued).toBe(2);
    expect(ipc.args("add_paths")[0]).toEqual({
      paths: ["/home/ada/a.png", "/home/ada/b.png"],
      target: { profile: "default", bucket: "photos", prefix: "inbox/" },
    });
    await waitFor(() => expect(screen.getAllByTestId("toast")[0].textContent).toContain("Queued 2 files"));
  });

  it("follows navigate events and Ctrl+number shortcuts", async () => {
    render(App);
    await waitFor(() => expect(screen.getByTestId("app-root").dataset.ready).toBe("true"));
    await fireEvent.keyDown(window, { key: "5", code: "Digit5", ctrlKey: true });
    expect(screen.getByTestId("view-settings")).toBeTruthy();
    expect(screen.getByTestId("nav-settings").getAttribute("aria-current")).toBe("page");
    channel!.onmessage({ type: "navigate", view: "queue" });
    await waitFor(() => expect(screen.getByTestId("view-queue")).toBeTruthy());
  });

  it("opens and closes the shortcut help with ? and Escape", async () => {
    render(App);
    await waitFor(() => expect(screen.getByTestId("app-root").dataset.ready).toBe("true"));
    await fireEvent.keyDown(window, { key: "?" });
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain("Pause all transfers");
    await fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("shows first-run setup when the shell needs it", async () => {
    needsSetup = true;
    render(App);
    await waitFor(() => expect(screen.getByTestId("setup-view")).toBeTruthy());
    expect(screen.getByTestId("app-root").dataset.ready).toBe("true");
    expect(screen.getByTestId("setup-use-local")).toBeTruthy();
    expect(ipc.names()).not.toContain("list_transfers");
  });
});
