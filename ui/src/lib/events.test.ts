// Event routing: queue events to the store, change counters, navigation, and what Rust auto-copied.
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { transfer } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import { batchSentence, routeEvent } from "./events";
import { toasts } from "./stores/toasts.svelte";
import { app } from "./stores/app.svelte";
import { copied } from "./stores/copied.svelte";
import { queue } from "./stores/queue.svelte";

const ipc = new IpcRecorder();

beforeEach(() => {
  queue.reset();
  copied.text = "";
  vi.useFakeTimers();
  ipc.mock();
});
afterEach(() => {
  vi.useRealTimers();
  clearMocks();
});

describe("routeEvent", () => {
  it("bumps the change counters and follows navigate", () => {
    const before = { ...app.revisions };
    routeEvent({ type: "history_changed" });
    routeEvent({ type: "watches_changed" });
    routeEvent({ type: "requests_changed" });
    expect(app.revisions).toEqual({ history: before.history + 1, requests: before.requests + 1, watches: before.watches + 1 });
    routeEvent({ type: "navigate", view: "watches" });
    expect(app.view).toBe("watches");
    routeEvent({ type: "navigate", view: "nonsense" });
    expect(app.view).toBe("watches");
  });

  it("hands counts and queue events to the queue store", () => {
    const counts = { queued: 1, running: 2, paused: 3, failed: 4, done: 5, canceled: 6 };
    routeEvent({ type: "counts", counts, batch: { files: 0, done: 0, failed: 0, bytes_total: 0, bytes_sent: 0 } });
    expect(queue.counts).toEqual(counts);
    routeEvent({ type: "queue", event: { type: "changed", transfer: transfer(501), file: null } });
    queue.flush();
    expect(queue.row(501)?.transfer.state).toBe("queued");
  });

  it("loads the queue again when many rows changed at once", async () => {
    vi.useRealTimers();
    const paused = { queued: 0, running: 0, paused: 1, failed: 0, done: 0, canceled: 0 };
    ipc.mock((command) => {
      if (command === "list_transfers") return [transfer(7, { state: "paused" })];
      if (command === "transfer_counts") return paused;
      return null;
    });
    routeEvent({ type: "queue_changed" });
    await settle();
    expect(ipc.names()).toEqual(["list_transfers", "transfer_counts"]);
    expect(queue.row(7)?.transfer.state).toBe("paused");
    expect(queue.counts).toEqual(paused);
  });

  it("mirrors what Rust auto-copied and never writes the clipboard itself", () => {
    routeEvent({ type: "copy_to_clipboard", text: "https://x/1.jpg\nhttps://x/2.jpg" });
    expect(copied.text).toBe("https://x/1.jpg\nhttps://x/2.jpg");
    expect(toasts.items[toasts.items.length - 1]?.text).toBe("Copied 2 links to the clipboard");
    expect(ipc.calls).toEqual([]);
  });

  it("says how a batch ended", () => {
    const batch = { files: 13, done: 12, failed: 1, bytes_total: 10, bytes_sent: 10 };
    routeEvent({ type: "batch_finished", batch });
    expect(toasts.items[toasts.items.length - 1]?.text).toBe("12 files uploaded, 1 failed");
    expect(batchSentence(1, 0)).toBe("1 file uploaded");
    expect(batchSentence(0, 2)).toBe("2 files failed");
  });
});
