// The transfer queue: rows loaded page by page, kept current by events, progress coalesced per frame.
import * as api from "../api";
import type { FileObject } from "../bindings/FileObject";
import type { QueueEvent } from "../bindings/QueueEvent";
import type { Transfer } from "../bindings/Transfer";
import type { TransferAction } from "../bindings/TransferAction";
import type { TransferCounts } from "../bindings/TransferCounts";
import type { TransferState } from "../bindings/TransferState";
import { percent } from "../format";

/** list_transfers' largest page. */
export const PAGE_SIZE = 1000;

type ProgressEvent = Extract<QueueEvent, { type: "progress" }>;
type RetryingEvent = Extract<QueueEvent, { type: "retrying" }>;

export interface RowProgress {
  sent: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface RowRetry {
  attempt: number;
  /** How long the shell waits before that attempt. */
  delayMs: number;
  code: string;
  message: string;
}

/** What a row adds to the total bar; kept so an update can subtract the old share in O(1). */
interface Share {
  size: number;
  sent: number;
  speed: number;
  /** Bytes still to send while the row is queued or running; 0 otherwise. */
  remaining: number;
}

const NO_SHARE: Share = { size: 0, sent: 0, speed: 0, remaining: 0 };

/** Which per-row actions the Rust side accepts in each state (mirrors the core's state machine). */
export const ACTIONS_BY_STATE: Record<TransferState, readonly TransferAction[]> = {
  queued: ["pause", "cancel"],
  running: ["pause", "cancel"],
  paused: ["resume", "cancel"],
  failed: ["retry", "cancel"],
  done: [],
  canceled: ["retry"],
};

/**
 * One row. Each field is its own signal, so a progress update re-renders only that row's
 * progress bar, not the list and not the other 9,999 rows.
 */
export class QueueRow {
  readonly id: number;
  transfer = $state.raw() as Transfer;
  file = $state.raw<FileObject | null>(null);
  progress = $state.raw<RowProgress | null>(null);
  retry = $state.raw<RowRetry | null>(null);
  /** The share last counted in the store's totals (plain field: only the store reads it). */
  share: Share = NO_SHARE;

  readonly percent = $derived.by(() => {
    const t = this.transfer;
    if (t.state === "done") return 100;
    if (t.state === "running" && this.progress) return percent(this.progress.sent, this.progress.total);
    return percent(t.acked_bytes, t.size);
  });

  constructor(transfer: Transfer, file: FileObject | null) {
    this.id = transfer.id;
    this.transfer = transfer;
    this.file = file;
  }

  /** Bytes counted as sent: live progress while running, else what the server acknowledged. */
  get sent(): number {
    const t = this.transfer;
    if (t.state === "done") return t.size;
    if (t.state === "running" && this.progress) return Math.min(this.progress.sent, t.size);
    return Math.min(t.acked_bytes, t.size);
  }

  computeShare(): Share {
    const t = this.transfer;
    if (t.state === "canceled") return NO_SHARE;
    const sent = this.sent;
    const speed = t.state === "running" && this.progress ? this.progress.bytesPerSecond : 0;
    // Paused and failed rows wait for a person, so their bytes are not part of the time left.
    const remaining = t.state === "queued" || t.state === "running" ? t.size - sent : 0;
    return { size: t.size, sent, speed, remaining };
  }
}

export interface QueueTotals {
  /** Bytes of every row that is not canceled. */
  size: number;
  sent: number;
  /** Sum of the running rows' speeds. */
  speed: number;
  /** Bytes the queued and running rows still have to send (what the time left is about). */
  remaining: number;
}

const NO_TOTALS: QueueTotals = { size: 0, sent: 0, speed: 0, remaining: 0 };

export type Scheduler = (flush: () => void) => void;

/** The next animation frame, or a short timer when frames stop (hidden or minimised window). */
const nextFrame: Scheduler = (flush) => {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    flush();
  };
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
  setTimeout(once, 250);
};

export class QueueStore {
  /** Row ids in ascending order (the list's order). */
  ids = $state.raw<number[]>([]);
  counts = $state.raw<TransferCounts | null>(null);
  totals = $state.raw<QueueTotals>(NO_TOTALS);
  loading = $state(false);
  loaded = $state(false);
  loadError = $state.raw<unknown>(null);
  /** The row keyboard shortcuts act on. */
  selected = $state<number | null>(null);

  readonly percent = $derived(percent(this.totals.sent, this.totals.size));

  #rows = new Map<number, QueueRow>();
  #pendingChanged = new Map<number, { transfer: Transfer; file: FileObject | null }>();
  /** Latest progress or retry notice per row: a newer one of either kind replaces the older. */
  #pendingSignal = new Map<number, ProgressEvent | RetryingEvent>();
  #scheduled = false;
  #schedule: Scheduler;
  #sums: QueueTotals = { ...NO_TOTALS };
  /** Rows touched by events while a reload runs: the reload must not drop or overwrite them. */
  #touchedDuringLoad: Set<number> | null = null;
  #loading: Promise<void> | null = null;
  /** Bumped by reset(): a load started before it stops touching the store. */
  #generation = 0;

  constructor(schedule: Scheduler = nextFrame) {
    this.#schedule = schedule;
  }

  row(id: number): QueueRow | undefined {
    return this.#rows.get(id);
  }

  /** (Re)loads every row page by page; rows appear as pages arrive. Concurrent calls share one run. */
  load(): Promise<void> {
    if (!this.#loading) {
      const run: Promise<void> = this.#loadAll(this.#generation).finally(() => {
        if (this.#loading === run) this.#loading = null;
      });
      this.#loading = run;
    }
    return this.#loading;
  }

  /** Back to a fresh start (tests): no rows, no totals; a load under way is dropped when it answers. */
  reset(): void {
    this.#generation++;
    this.#loading = null;
    this.#touchedDuringLoad = null;
    this.#rows.clear();
    this.#pendingChanged.clear();
    this.#pendingSignal.clear();
    this.#scheduled = false;
    this.#sums = { ...NO_TOTALS };
    this.ids = [];
    this.counts = null;
    this.totals = NO_TOTALS;
    this.loading = false;
    this.loaded = false;
    this.loadError = null;
    this.selected = null;
  }

  async #loadAll(generation: number): Promise<void> {
    this.loading = true;
    this.loadError = null;
    this.#touchedDuringLoad = new Set();
    const seen = new Set<number>();
    const stale = () => generation !== this.#generation;
    try {
      let after: number | null = null;
      for (;;) {
        const page = await api.listTransfers({ states: [], after, limit: PAGE_SIZE });
        if (stale()) return;
        const added: number[] = [];
        for (const transfer of page) {
          seen.add(transfer.id);
          if (this.#touchedDuringLoad.has(transfer.id)) continue;
          this.#upsert(transfer, null, added, false);
        }
        this.#insertIds(added);
        this.#publishTotals();
        if (page.length < PAGE_SIZE) break;
        after = page[page.length - 1].id;
      }
      // Rows gone from the database (cleared elsewhere) and not re-announced by an event since.
      const touched = this.#touchedDuringLoad;
      const gone = this.ids.filter((id) => !seen.has(id) && !touched.has(id));
      if (gone.length > 0) this.#remove(new Set(gone));
      // Asked only now, so a failed page leaves no request behind whose failure nobody hears.
      const counts = await api.transferCounts();
      if (stale()) return;
      this.counts = counts;
      this.loaded = true;
    } catch (err) {
      if (stale()) return;
      this.loadError = err;
      throw err;
    } finally {
      if (!stale()) {
        this.#touchedDuringLoad = null;
        this.loading = false;
      }
    }
  }

  /** Takes a queue event from the app's event channel; rendering catches up on the next frame. */
  applyEvent(event: QueueEvent): void {
    switch (event.type) {
      case "changed": {
        const id = event.transfer.id;
        const previous = this.#pendingChanged.get(id);
        // A "changed" without the file must not erase the file an earlier event in this frame carried.
        this.#pendingChanged.set(id, { transfer: event.transfer, file: event.file ?? previous?.file ?? null });
        // Progress queued before a row left "running" describes an upload that is over.
        if (event.transfer.state !== "running") this.#pendingSignal.delete(id);
        this.#touchedDuringLoad?.add(id);
        break;
      }
      case "progress":
      case "retrying":
        this.#pendingSignal.set(event.transfer, event);
        break;
      case "idle":
        // Nothing to show: the rows' own "changed" events already say they stopped.
        return;
    }
    this.#requestFlush();
  }

  setCounts(counts: TransferCounts): void {
    this.counts = counts;
  }

  #requestFlush(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.flush());
  }

  /** Applies everything that arrived since the last frame, in one batch. */
  flush(): void {
    this.#scheduled = false;
    const added: number[] = [];
    for (const { transfer, file } of this.#pendingChanged.values()) this.#upsert(transfer, file, added, true);
    this.#pendingChanged.clear();
    for (const signal of this.#pendingSignal.values()) {
      const row = this.#rows.get(signal.transfer);
      if (!row) continue;
      if (signal.type === "progress") {
        row.progress = {
          sent: signal.sent,
          total: signal.total,
          bytesPerSecond: signal.bytes_per_second,
          etaSeconds: signal.eta_seconds,
        };
        row.retry = null;
      } else {
        row.retry = { attempt: signal.attempt, delayMs: signal.delay_ms, code: signal.code, message: signal.message };
      }
      this.#recount(row);
    }
    this.#pendingSignal.clear();
    this.#insertIds(added);
    this.#publishTotals();
  }

  #upsert(transfer: Transfer, file: FileObject | null, added: number[], fromEvent: boolean): void {
    const row = this.#rows.get(transfer.id);
    if (!row) {
      const fresh = new QueueRow(transfer, file);
      this.#rows.set(transfer.id, fresh);
      added.push(transfer.id);
      this.#recount(fresh);
      return;
    }
    // A page fetched before an event may carry an older copy of the row.
    if (!fromEvent && transfer.updated_at <= row.transfer.updated_at) return;
    const wasRunning = row.transfer.state === "running";
    row.transfer = transfer;
    if (file) row.file = file;
    if (transfer.state !== "running") {
      row.progress = null;
      row.retry = null;
    } else if (!wasRunning) {
      // A new attempt starts from what the server acknowledged, not from the last attempt's bar.
      row.progress = null;
    }
    this.#recount(row);
  }

  #recount(row: QueueRow): void {
    const next = row.computeShare();
    const old = row.share;
    this.#sums.size += next.size - old.size;
    this.#sums.sent += next.sent - old.sent;
    this.#sums.speed += next.speed - old.speed;
    this.#sums.remaining += next.remaining - old.remaining;
    row.share = next;
  }

  #publishTotals(): void {
    const { size, sent, speed, remaining } = this.#sums;
    const current = this.totals;
    if (current.size !== size || current.sent !== sent || current.speed !== speed || current.remaining !== remaining) {
      this.totals = { size, sent, speed: Math.max(0, speed), remaining: Math.max(0, remaining) };
    }
  }

  /** Merges new ids into the sorted list in one pass (new rows almost always come last). */
  #insertIds(added: number[]): void {
    if (added.length === 0) return;
    added.sort((a, b) => a - b);
    const ids = this.ids;
    if (ids.length === 0 || added[0] > ids[ids.length - 1]) {
      this.ids = ids.concat(added);
      return;
    }
    const merged: number[] = new Array(ids.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < ids.length && j < added.length) merged[k++] = ids[i] < added[j] ? ids[i++] : added[j++];
    while (i < ids.length) merged[k++] = ids[i++];
    while (j < added.length) merged[k++] = added[j++];
    this.ids = merged;
  }

  #remove(gone: Set<number>): void {
    for (const id of gone) {
      const row = this.#rows.get(id);
      if (!row) continue;
      this.#sums.size -= row.share.size;
      this.#sums.sent -= row.share.sent;
      this.#sums.speed -= row.share.speed;
      this.#sums.remaining -= row.share.remaining;
      this.#rows.delete(id);
    }
    this.ids = this.ids.filter((id) => !gone.has(id));
    if (this.selected !== null && gone.has(this.selected)) this.selected = null;
    this.#publishTotals();
  }

  /** Runs one row's action and shows its result at once, without waiting for the event. */
  async act(id: number, action: TransferAction): Promise<void> {
    const transfer = await api.transferAction(id, action);
    this.#pendingChanged.set(id, { transfer, file: this.#pendingChanged.get(id)?.file ?? null });
    this.#pendingSignal.delete(id);
    this.flush();
  }

  /**
   * Runs an action on every row it applies to. The rows change through the shell's
   * `queue_changed` event (see {@link reload}), which tells every window, also when the tray asked.
   */
  actAll(action: TransferAction): Promise<number> {
    return api.transferActionAll(action);
  }

  /** Loads the queue again after many rows changed at once (`queue_changed`). */
  async reload(): Promise<void> {
    // A load already under way may have read its pages before the change: start a fresh one.
    await this.#loading?.catch(() => undefined);
    await this.load();
  }

  /** Removes done and canceled rows here and in the database (history keeps them). */
  async clearFinished(): Promise<number> {
    const removed = await api.clearFinished();
    const finished = new Set(
      this.ids.filter((id) => {
        const state = this.#rows.get(id)?.transfer.state;
        return state === "done" || state === "canceled";
      }),
    );
    this.#remove(finished);
    this.counts = await api.transferCounts();
    return removed;
  }

  /** Pause a running or queued row, resume a paused one (the Space shortcut). */
  async toggleSelected(): Promise<void> {
    const row = this.selected === null ? undefined : this.#rows.get(this.selected);
    if (!row) return;
    const allowed = ACTIONS_BY_STATE[row.transfer.state];
    if (allowed.includes("pause")) await this.act(row.id, "pause");
    else if (allowed.includes("resume")) await this.act(row.id, "resume");
  }

  async cancelSelected(): Promise<void> {
    const row = this.selected === null ? undefined : this.#rows.get(this.selected);
    if (row && ACTIONS_BY_STATE[row.transfer.state].includes("cancel")) await this.act(row.id, "cancel");
  }

  /** Moves the selection by `delta` rows; returns the new index (for scrolling it into view). */
  moveSelection(delta: number): number {
    const ids = this.ids;
    if (ids.length === 0) return -1;
    const current = this.selected === null ? -1 : ids.indexOf(this.selected);
    const next = current === -1 ? (delta > 0 ? 0 : ids.length - 1) : Math.max(0, Math.min(ids.length - 1, current + delta));
    this.selected = ids[next];
    return next;
  }
}

export const queue = new QueueStore();
