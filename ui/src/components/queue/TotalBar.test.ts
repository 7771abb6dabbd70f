// The queue's total bar: percent over every row that is not canceled, and time left over only the
// bytes queued and running rows still have to send.
import { clearMocks } from "@tauri-apps/api/mocks";
import { render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TransferQuery } from "../../lib/bindings/TransferQuery";
import { queue } from "../../lib/stores/queue.svelte";
import { transfer } from "../../test/fixtures";
import { IpcRecorder } from "../../test/ipc";
import TotalBar from "./TotalBar.svelte";

const ipc = new IpcRecorder();
const rows = [
  transfer(1, { state: "running", size: 1000 }),
  transfer(2, { state: "queued", size: 1000 }),
  transfer(3, { state: "paused", size: 1000 }),
  transfer(4, { state: "failed", size: 2000, error_code: "network", error_message: "reset" }),
];

beforeEach(async () => {
  queue.reset();
  ipc.mock((command, args) => {
    if (command === "list_transfers") {
      const { query } = args as { query: TransferQuery };
      return rows.filter((t) => t.id > (query.after ?? 0));
    }
    if (command === "transfer_counts") return { queued: 1, running: 1, paused: 1, failed: 1, done: 0, canceled: 0 };
    return null;
  });
  await queue.load();
});
afterEach(() => clearMocks());

function numbers(): string {
  return screen.getByTestId("total-progress").querySelector(".numbers")?.textContent?.replace(/\s+/g, " ").trim() ?? "";
}

describe("TotalBar", () => {
  it("leaves paused and failed rows out of the time left", () => {
    render(TotalBar);
    expect(numbers()).toBe("0 B of 4.9 KiB 0%");
    queue.applyEvent({ type: "progress", transfer: 1, sent: 500, total: 1000, bytes_per_second: 100, eta_seconds: 5 });
    queue.flush();
    flushSync();
    const total = screen.getByTestId("total-progress");
    // 500 of 5000 bytes sent; left to send: 500 (running) + 1000 (queued) at 100 B/s = 15 s, not 45 s.
    expect(total.dataset.percent).toBe("10");
    expect(within(total).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("10");
    expect(numbers()).toBe("500 B of 4.9 KiB 100 B/s 15 s left 10%");
  });

  it("follows a paused row: its bytes leave the time left", () => {
    render(TotalBar);
    queue.applyEvent({ type: "progress", transfer: 1, sent: 500, total: 1000, bytes_per_second: 100, eta_seconds: 5 });
    queue.applyEvent({ type: "changed", transfer: transfer(2, { state: "paused", size: 1000, updated_at: 9e12 }), file: null });
    queue.flush();
    flushSync();
    expect(numbers()).toBe("500 B of 4.9 KiB 100 B/s 5 s left 10%");
  });
});
