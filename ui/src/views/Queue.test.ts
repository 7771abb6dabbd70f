// The Queue view with 10k transfers: a window of rows, their testids, per-row actions and the total bar.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TransferQuery } from "../lib/bindings/TransferQuery";
import { queue } from "../lib/stores/queue.svelte";
import { transfer } from "../test/fixtures";
import { IpcRecorder } from "../test/ipc";
import Queue from "./Queue.svelte";

const ipc = new IpcRecorder();
const rows = Array.from({ length: 10_000 }, (_, i) =>
  transfer(i + 1, i === 0 ? { state: "running", size: 2000 } : i === 1 ? { state: "failed", error_code: "unauthorized", error_message: "bad key" } : {}),
);

beforeEach(async () => {
  // A test leaves rows paused or with progress: each starts from the fixture again.
  queue.reset();
  ipc.mock((command, args) => {
    if (command === "list_transfers") {
      const { query } = args as { query: TransferQuery };
      return rows.filter((t) => t.id > (query.after ?? 0)).slice(0, query.limit ?? 100);
    }
    if (command === "transfer_counts") return { queued: 9998, running: 1, paused: 0, failed: 1, done: 0, canceled: 0 };
    if (command === "transfer_action") return { ...rows[0], state: "paused", updated_at: 9e12 };
    return null;
  });
  await queue.load();
});
afterEach(() => clearMocks());

describe("Queue view", () => {
  it("renders a window of the 10,000 rows with their data attributes", () => {
    render(Queue);
    const list = screen.getByTestId("queue-list");
    const shown = within(list).getAllByTestId("transfer-row");
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(40);
    expect(list.getAttribute("aria-rowcount")).toBe("10000");
    const first = shown[0];
    expect(first.dataset.transferId).toBe("1");
    expect(first.dataset.state).toBe("running");
    expect(first.dataset.percent).toBe("0");
    expect(within(first).getByTestId("transfer-name").textContent).toBe("photo-1.jpg");
    expect(within(first).queryByTestId("transfer-pause")).not.toBeNull();
    expect(within(first).queryByTestId("transfer-resume")).toBeNull();
  });

  it("shows a failed row's error in words with its code", () => {
    render(Queue);
    const failed = screen.getAllByTestId("transfer-row")[1];
    expect(within(failed).getByTestId("error-code").textContent).toBe("unauthorized");
    expect(within(failed).getByTestId("error-message").textContent).toMatch(/refused the API key/);
    expect(within(failed).queryByTestId("transfer-retry")).not.toBeNull();
  });

  it("updates one row's progress, speed and ETA after a frame", async () => {
    render(Queue);
    queue.applyEvent({ type: "progress", transfer: 1, sent: 1500, total: 2000, bytes_per_second: 2 * 1024 * 1024, eta_seconds: 42 });
    queue.flush();
    flushSync();
    const first = screen.getAllByTestId("transfer-row")[0];
    expect(first.dataset.percent).toBe("75");
    expect(within(first).getByTestId("transfer-speed").textContent?.trim()).toBe("2 MiB/s");
    expect(within(first).getByTestId("transfer-eta").textContent?.trim()).toBe("42 s");
  });

  it("runs a row's action with its id", async () => {
    render(Queue);
    const first = screen.getAllByTestId("transfer-row")[0];
    await fireEvent.click(within(first).getByTestId("transfer-pause"));
    await Promise.resolve();
    expect(ipc.calls[ipc.calls.length - 1]).toEqual(["transfer_action", { id: 1, action: "pause" }]);
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
    expect(screen.getAllByTestId("transfer-row")[0].dataset.state).toBe("paused");
  });

  it("has the total bar with the fixture's percent, bytes and counts", () => {
    render(Queue);
    const total = screen.getByTestId("total-progress");
    // Nothing acknowledged yet: 0 of 9,999 × 1000 + 2000 bytes; the failed row's 1000 are not left to send.
    expect(queue.totals).toEqual({ size: 10_001_000, sent: 0, speed: 0, remaining: 10_000_000 });
    expect(total.dataset.percent).toBe("0");
    expect(within(total).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("0");
    expect(total.querySelector(".pct")?.textContent).toBe("0%");
    expect(total.querySelector(".summary")?.textContent?.replace(/\s+/g, "")).toBe("1uploading·9,998waiting·1failed");
    expect(total.querySelector(".numbers")?.textContent?.replace(/\s+/g, " ").trim()).toBe("0 B of 9.5 MiB 0%");
  });

  it("starts every test from the fixture, whatever the test before did", () => {
    render(Queue);
    const first = screen.getAllByTestId("transfer-row")[0];
    expect(first.dataset.state).toBe("running");
    expect(queue.row(1)?.progress).toBeNull();
    expect(queue.selected).toBeNull();
  });
});
