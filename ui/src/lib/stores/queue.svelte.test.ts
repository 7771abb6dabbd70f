// The queue store: paging 10k rows, applying events by id, coalescing progress, fine-grained updates.
import { clearMocks } from "@tauri-apps/api/mocks";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { Transfer } from "../bindings/Transfer";
import type { TransferQuery } from "../bindings/TransferQuery";
import { fileObject, transfer } from "../../test/fixtures";
import { IpcRecorder } from "../../test/ipc";
import { PAGE_SIZE, QueueStore } from "./queue.svelte";

const COUNTS = { queued: 0, running: 0, paused: 0, failed: 0, done: 0, canceled: 0 };

/** A scheduler the test runs by hand, counting how many frames were asked for. */
function manualFrames() {
  let pending: (() => void) | null = null;
  let requested = 0;
  return {
    schedule: (flush: () => void) => {
      requested++;
      pending = flush;
    },
    run: () => {
      const flush = pending;
      pending = null;
      flush?.();
    },
    get requested() {
      return requested;
    },
  };
}

/** Serves list_transfers from `rows` the way the shell pages them (ids ascending, after/limit). */
function serve(rows: () => Transfer[]): IpcRecorder {
  const ipc = new IpcRecorder();
  ipc.mock((command, args) => {
    if (command === "list_transfers") {
      const { query } = args as { query: TransferQuery };
      const after = query.after ?? 0;
      return rows()
        .filter((t) => t.id > after)
        .slice(0, query.limit ?? 100);
    }
    if (command === "transfer_counts") return COUNTS;
    if (command === "clear_finished") return rows().filter((t) => t.state === "done" || t.state === "canceled").length;
    if (command === "transfer_action") {
      const { id, action } = args as { id: number; action: string };
      return transfer(id, { state: action === "pause" ? "paused" : "queued", updated_at: 9e12 });
    }
    return null;
  });
  return ipc;
}

afterEach(() => clearMocks());

describe("loading", () => {
  it("pages 10,000 rows in pages of 1000, in id order", async () => {
    const all = Array.from({ length: 10_000 }, (_, i) => transfer(i + 1));
    const ipc = serve(() => all);
    const store = new QueueStore(manualFrames().schedule);
    await store.load();

    const pages = ipc.args("list_transfers").map((a) => a.query as TransferQuery);
    expect(pages).toHaveLength(11); // ten full pages, then an empty one that ends the loop
    expect(pages[0]).toEqual({ states: [], after: null, limit: PAGE_SIZE });
    expect(pages[1].after).toBe(1000);
    expect(pages[10].after).toBe(10_000);
    expect(store.ids).toHaveLength(10_000);
    expect(store.ids[0]).toBe(1);
    expect(store.ids[9999]).toBe(10_000);
    expect(store.row(5000)?.transfer.path).toBe("photo-5000.jpg");
    expect(store.totals.size).toBe(10_000 * 1000);
    expect(store.loaded).toBe(true);
  });

  it("drops rows that are gone on reload but keeps rows events announced meanwhile", async () => {
    let rows = [transfer(1), transfer(2), transfer(3)];
    serve(() => rows);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    rows = [transfer(1), transfer(3)];
    const reload = store.load();
    store.applyEvent({ type: "changed", transfer: transfer(4), file: null });
    frames.run();
    await reload;
    expect(store.ids).toEqual([1, 3, 4]);
  });

  it("asks for the counts after the pages, and not at all when a page fails", async () => {
    let failing = true;
    const ipc = new IpcRecorder();
    ipc.mock((command, args) => {
      if (command === "list_transfers") {
        if (failing) throw { code: "database", message: "disk I/O error" };
        const { query } = args as { query: TransferQuery };
        return query.after === null ? [transfer(1)] : [];
      }
      if (command === "transfer_counts") {
        if (failing) throw { code: "database", message: "disk I/O error" };
        return { ...COUNTS, queued: 1 };
      }
      return null;
    });
    const store = new QueueStore(manualFrames().schedule);
    await expect(store.load()).rejects.toMatchObject({ code: "database", message: "disk I/O error" });
    expect(store.loadError).toMatchObject({ code: "database", message: "disk I/O error" });
    expect(store.loading).toBe(false);
    expect(store.loaded).toBe(false);
    expect(store.counts).toBeNull();
    // No counts request was left running whose failure nobody would hear.
    expect(ipc.names()).toEqual(["list_transfers"]);

    failing = false;
    await store.load();
    expect(ipc.names().slice(1)).toEqual(["list_transfers", "transfer_counts"]);
    expect(store.counts).toEqual({ ...COUNTS, queued: 1 });
    expect(store.ids).toEqual([1]);
    expect(store.loadError).toBeNull();
    expect(store.loaded).toBe(true);
  });

  it("does not let an older page overwrite a newer event", async () => {
    const rows = [transfer(1, { state: "queued", updated_at: 100 })];
    serve(() => rows);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    store.applyEvent({ type: "changed", transfer: transfer(1, { state: "running", updated_at: 200 }), file: null });
    frames.run();
    await store.load();
    expect(store.row(1)?.transfer.state).toBe("running");
  });
});

describe("events", () => {
  it("applies changed events by id and inserts new rows in id order", async () => {
    serve(() => [transfer(2), transfer(5)]);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();

    store.applyEvent({ type: "changed", transfer: transfer(3), file: null });
    store.applyEvent({ type: "changed", transfer: transfer(9), file: null });
    store.applyEvent({ type: "changed", transfer: transfer(5, { state: "failed", error_code: "network", error_message: "x" }), file: null });
    // Nothing shows before the frame.
    expect(store.ids).toEqual([2, 5]);
    frames.run();
    expect(store.ids).toEqual([2, 3, 5, 9]);
    expect(store.row(5)?.transfer.error_code).toBe("network");
  });

  it("coalesces hundreds of progress events into one frame and keeps the latest", async () => {
    serve(() => [transfer(1, { state: "running", size: 1000 }), transfer(2, { state: "running", size: 1000 })]);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();

    for (let sent = 1; sent <= 500; sent++) {
      store.applyEvent({ type: "progress", transfer: 1, sent, total: 1000, bytes_per_second: sent * 10, eta_seconds: 1000 - sent });
      store.applyEvent({ type: "progress", transfer: 2, sent: sent / 2, total: 1000, bytes_per_second: 5, eta_seconds: null });
    }
    expect(frames.requested).toBe(1);
    expect(store.row(1)?.progress).toBeNull();
    frames.run();
    expect(store.row(1)?.progress).toEqual({ sent: 500, total: 1000, bytesPerSecond: 5000, etaSeconds: 500 });
    expect(store.row(1)?.percent).toBe(50);
    expect(store.row(2)?.percent).toBe(25);
    expect(store.totals).toEqual({ size: 2000, sent: 750, speed: 5005, remaining: 1250 });
    expect(store.percent).toBe(37);

    store.applyEvent({ type: "progress", transfer: 1, sent: 600, total: 1000, bytes_per_second: 1, eta_seconds: 1 });
    expect(frames.requested).toBe(2);
  });

  it("forgets queued progress once the row leaves running", async () => {
    serve(() => [transfer(1, { state: "running" })]);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    store.applyEvent({ type: "progress", transfer: 1, sent: 10, total: 1000, bytes_per_second: 99, eta_seconds: 3 });
    const done = transfer(1, { state: "done", acked_bytes: 1000, outcome: "uploaded" });
    store.applyEvent({ type: "changed", transfer: done, file: fileObject() });
    frames.run();
    const row = store.row(1)!;
    expect(row.progress).toBeNull();
    expect(row.percent).toBe(100);
    expect(row.file?.url).toBe("http://localhost:8080/media/photo-1.jpg");
    expect(store.totals).toEqual({ size: 1000, sent: 1000, speed: 0, remaining: 0 });
  });

  it("shows a retry notice until progress resumes", async () => {
    serve(() => [transfer(1, { state: "running" })]);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    store.applyEvent({ type: "retrying", transfer: 1, attempt: 2, delay_ms: 4000, code: "network", message: "reset" });
    frames.run();
    expect(store.row(1)?.retry).toEqual({ attempt: 2, delayMs: 4000, code: "network", message: "reset" });
    store.applyEvent({ type: "progress", transfer: 1, sent: 1, total: 1000, bytes_per_second: 1, eta_seconds: 1 });
    frames.run();
    expect(store.row(1)?.retry).toBeNull();
  });

  it("re-renders only the row whose progress changed", async () => {
    serve(() => Array.from({ length: 3 }, (_, i) => transfer(i + 1, { state: "running" })));
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();

    const runs = { row1: 0, row2: 0, list: 0 };
    const stop = $effect.root(() => {
      $effect(() => {
        void store.row(1)?.percent;
        runs.row1++;
      });
      $effect(() => {
        void store.row(2)?.percent;
        runs.row2++;
      });
      $effect(() => {
        void store.ids;
        runs.list++;
      });
    });
    flushSync();
    expect(runs).toEqual({ row1: 1, row2: 1, list: 1 });

    store.applyEvent({ type: "progress", transfer: 2, sent: 300, total: 1000, bytes_per_second: 1, eta_seconds: 1 });
    frames.run();
    flushSync();
    expect(runs).toEqual({ row1: 1, row2: 2, list: 1 });
    stop();
  });
});

describe("time left", () => {
  it("counts only the bytes queued and running rows still have to send, kept in step by events", async () => {
    serve(() => [
      transfer(1, { state: "running", size: 1000, acked_bytes: 200 }),
      transfer(2, { state: "queued", size: 3000, acked_bytes: 1000 }),
      transfer(3, { state: "paused", size: 5000, acked_bytes: 500 }),
      transfer(4, { state: "failed", size: 7000 }),
      transfer(5, { state: "done", size: 100, acked_bytes: 100 }),
      transfer(6, { state: "canceled", size: 9000 }),
    ]);
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    // 800 + 2000; the paused row's 4500 and the failed row's 7000 wait for a person.
    expect(store.totals).toEqual({ size: 16_100, sent: 1800, speed: 0, remaining: 2800 });

    store.applyEvent({ type: "progress", transfer: 1, sent: 600, total: 1000, bytes_per_second: 100, eta_seconds: 4 });
    frames.run();
    expect(store.totals).toEqual({ size: 16_100, sent: 2200, speed: 100, remaining: 2400 });

    // Resuming the paused row puts its bytes back; pausing the queued one takes its bytes out.
    store.applyEvent({ type: "changed", transfer: transfer(3, { state: "queued", size: 5000, acked_bytes: 500 }), file: null });
    store.applyEvent({ type: "changed", transfer: transfer(2, { state: "paused", size: 3000, acked_bytes: 1000 }), file: null });
    frames.run();
    expect(store.totals.remaining).toBe(400 + 4500);

    // Retrying the failed row, then canceling it.
    store.applyEvent({ type: "changed", transfer: transfer(4, { state: "queued", size: 7000 }), file: null });
    frames.run();
    expect(store.totals.remaining).toBe(400 + 4500 + 7000);
    store.applyEvent({ type: "changed", transfer: transfer(4, { state: "canceled", size: 7000 }), file: null });
    frames.run();
    expect(store.totals.remaining).toBe(400 + 4500);
    expect(store.totals.size).toBe(16_100 - 7000);
  });

  it("drops a cleared row's bytes from what is left", async () => {
    let rows = [transfer(1, { state: "queued", size: 1000 }), transfer(2, { state: "queued", size: 500 })];
    serve(() => rows);
    const store = new QueueStore(manualFrames().schedule);
    await store.load();
    expect(store.totals.remaining).toBe(1500);
    rows = [transfer(2, { state: "queued", size: 500 })];
    await store.load();
    expect(store.totals).toEqual({ size: 500, sent: 0, speed: 0, remaining: 500 });
  });
});

describe("reset", () => {
  it("empties the store and drops a load under way", async () => {
    let rows = [transfer(1, { state: "running" }), transfer(2)];
    let release: () => void = () => undefined;
    let gate: Promise<void> | null = null;
    const ipc = new IpcRecorder();
    ipc.mock(async (command, args) => {
      if (command === "list_transfers") {
        // The rows as they were when asked, answered once the gate opens.
        const asked = rows;
        if (gate) await gate;
        const { query } = args as { query: TransferQuery };
        return asked.filter((t) => t.id > (query.after ?? 0));
      }
      if (command === "transfer_counts") return { ...COUNTS, running: 1, queued: 1 };
      return null;
    });
    const frames = manualFrames();
    const store = new QueueStore(frames.schedule);
    await store.load();
    store.selected = 1;
    store.applyEvent({ type: "progress", transfer: 1, sent: 10, total: 1000, bytes_per_second: 5, eta_seconds: 1 });

    gate = new Promise((resolve) => (release = resolve));
    const stale = store.load();
    expect(store.loading).toBe(true);
    store.reset();
    expect(store.ids).toEqual([]);
    expect(store.row(1)).toBeUndefined();
    expect(store.counts).toBeNull();
    expect(store.totals).toEqual({ size: 0, sent: 0, speed: 0, remaining: 0 });
    expect(store.selected).toBeNull();
    expect(store.loading).toBe(false);
    expect(store.loaded).toBe(false);
    // The progress that was waiting for a frame went with the rows.
    frames.run();
    expect(store.ids).toEqual([]);

    // The load from before the reset lands nowhere; a fresh one starts on its own.
    rows = [transfer(3)];
    gate = null;
    const fresh = store.load();
    expect(fresh).not.toBe(stale);
    release();
    await stale;
    await fresh;
    expect(store.ids).toEqual([3]);
    expect(store.row(1)).toBeUndefined();
    expect(store.totals).toEqual({ size: 1000, sent: 0, speed: 0, remaining: 1000 });
    expect(store.loaded).toBe(true);
    expect(store.loading).toBe(false);
  });
});

describe("actions", () => {
  it("shows an action's result at once", async () => {
    const ipc = serve(() => [transfer(1, { state: "running" })]);
    const store = new QueueStore(manualFrames().schedule);
    await store.load();
    store.selected = 1;
    await store.toggleSelected();
    expect(ipc.calls[ipc.calls.length - 1]).toEqual(["transfer_action", { id: 1, action: "pause" }]);
    expect(store.row(1)?.transfer.state).toBe("paused");
  });

  it("clear finished removes done and canceled rows and their bytes", async () => {
    const rows = [transfer(1, { state: "done", acked_bytes: 1000 }), transfer(2, { state: "canceled" }), transfer(3, { state: "failed" })];
    serve(() => rows);
    const store = new QueueStore(manualFrames().schedule);
    await store.load();
    store.selected = 1;
    expect(await store.clearFinished()).toBe(2);
    expect(store.ids).toEqual([3]);
    expect(store.selected).toBeNull();
    expect(store.totals.size).toBe(1000);
  });

  it("moves the selection within bounds", async () => {
    serve(() => [transfer(1), transfer(2), transfer(3)]);
    const store = new QueueStore(manualFrames().schedule);
    await store.load();
    expect(store.moveSelection(1)).toBe(0);
    expect(store.moveSelection(5)).toBe(2);
    expect(store.selected).toBe(3);
    expect(store.moveSelection(-1)).toBe(1);
  });
});
