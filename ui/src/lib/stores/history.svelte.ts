// The History view's state: filters, the entries loaded so far (page by page), layout, and actions.
import * as api from "../api";
import type { FileKind } from "../bindings/FileKind";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { HistoryQuery } from "../bindings/HistoryQuery";
import { uploadedAfter, type DateRange } from "../share";

export const PAGE_LIMIT = 100;

/** MIME families the type filter offers (the search takes `image/` as "any image/… type"). */
export const TYPE_FAMILIES: readonly { value: string; label: string }[] = [
  { value: "image/", label: "image/*" },
  { value: "video/", label: "video/*" },
  { value: "audio/", label: "audio/*" },
  { value: "text/", label: "text/*" },
  { value: "application/", label: "application/*" },
  { value: "font/", label: "font/*" },
  { value: "model/", label: "model/*" },
];

export type Layout = "list" | "grid";

export interface HistoryFilters {
  text: string;
  kind: FileKind | "";
  /** A MIME family (`image/`) or an exact type (`image/png`); "" for any. */
  mimeType: string;
  range: DateRange;
  verifiedOnly: boolean;
}

export const NO_FILTERS: HistoryFilters = { text: "", kind: "", mimeType: "", range: "all", verifiedOnly: false };

/** The search_history query for some filters and a page. */
export function buildQuery(filters: HistoryFilters, cursor: string | null, now: number = Date.now()): HistoryQuery {
  const text = filters.text.trim();
  const mime = filters.mimeType.trim();
  return {
    text: text === "" ? null : text,
    kind: filters.kind === "" ? null : filters.kind,
    mime_type: mime === "" ? null : mime,
    profile: null,
    bucket: null,
    uploaded_after: uploadedAfter(filters.range, now),
    uploaded_before: null,
    min_width: null,
    max_width: null,
    min_height: null,
    max_height: null,
    min_duration: null,
    max_duration: null,
    verified: filters.verifiedOnly ? true : null,
    cursor,
    limit: PAGE_LIMIT,
  };
}

/**
 * A fresh first page merged with what is already loaded: the page's entries first, then the older
 * loaded entries beyond it, so a refresh keeps the pages the person scrolled through.
 */
export function mergeFirstPage(loaded: readonly HistoryEntry[], page: readonly HistoryEntry[]): HistoryEntry[] {
  if (page.length === 0) return [];
  const oldest = page[page.length - 1].id;
  const seen = new Set(page.map((e) => e.id));
  return [...page, ...loaded.filter((e) => e.id < oldest && !seen.has(e.id))];
}

const LAYOUT_KEY = "mediasaur.history.layout";

function savedLayout(): Layout {
  try {
    return globalThis.localStorage?.getItem(LAYOUT_KEY) === "grid" ? "grid" : "list";
  } catch {
    return "list";
  }
}

export class HistoryStore {
  filters = $state<HistoryFilters>({ ...NO_FILTERS });
  entries = $state.raw<HistoryEntry[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loadingMore = $state(false);
  loaded = $state(false);
  error = $state.raw<unknown>(null);
  #layout = $state<Layout>(savedLayout());
  /** Each reload gets a number; answers to an older one are dropped (the filters moved on). */
  #generation = 0;

  get layout(): Layout {
    return this.#layout;
  }

  set layout(value: Layout) {
    this.#layout = value;
    try {
      globalThis.localStorage?.setItem(LAYOUT_KEY, value);
    } catch {
      // Private mode or a full disk: the choice lasts for this run only.
    }
  }

  readonly filtered = $derived(
    this.filters.text.trim() !== "" ||
      this.filters.kind !== "" ||
      this.filters.mimeType.trim() !== "" ||
      this.filters.range !== "all" ||
      this.filters.verifiedOnly,
  );

  /** Loads the first page for the current filters, replacing the list. */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    this.loadingMore = false;
    try {
      const page = await api.searchHistory(buildQuery(this.filters, null));
      if (generation !== this.#generation) return;
      this.entries = page.entries;
      this.nextCursor = page.next_cursor;
      this.error = null;
      this.loaded = true;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.error = err;
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /**
   * Picks up new entries (history_changed) without losing the pages already loaded. When nothing
   * is loaded yet it is the same as reload().
   */
  async refresh(): Promise<void> {
    if (!this.loaded || this.entries.length <= PAGE_LIMIT) return this.reload();
    const generation = ++this.#generation;
    // A page being appended belongs to the list this refresh replaces: it will be dropped.
    this.loadingMore = false;
    try {
      const page = await api.searchHistory(buildQuery(this.filters, null));
      if (generation !== this.#generation) return;
      this.entries = mergeFirstPage(this.entries, page.entries);
      if (page.next_cursor === null) this.nextCursor = null;
      this.error = null;
    } catch (err) {
      if (generation === this.#generation) this.error = err;
    }
  }

  /** Appends the next page, if there is one and none is being fetched. */
  async loadMore(): Promise<void> {
    const cursor = this.nextCursor;
    if (cursor === null || this.loading || this.loadingMore) return;
    const generation = this.#generation;
    this.loadingMore = true;
    try {
      const page = await api.searchHistory(buildQuery(this.filters, cursor));
      if (generation !== this.#generation) return;
      const seen = new Set(this.entries.map((e) => e.id));
      this.entries = [...this.entries, ...page.entries.filter((e) => !seen.has(e.id))];
      this.nextCursor = page.next_cursor;
      this.error = null;
    } catch (err) {
      if (generation === this.#generation) this.error = err;
    } finally {
      if (generation === this.#generation) this.loadingMore = false;
    }
  }

  /** Deletes the file on the server; the entry leaves the list once the shell confirms. */
  async remove(id: number): Promise<void> {
    await api.deleteRemoteFile(id);
    this.entries = this.entries.filter((e) => e.id !== id);
  }

  /** Back to a fresh start: no filters, nothing loaded (tests; a profile switch). */
  reset(): void {
    this.#generation++;
    this.filters = { ...NO_FILTERS };
    this.entries = [];
    this.nextCursor = null;
    this.loading = false;
    this.loadingMore = false;
    this.loaded = false;
    this.error = null;
  }

  clearFilters(): void {
    this.filters = { ...NO_FILTERS };
  }

  /** Shows History filtered to one name (from the Requests view's "arrived" link). */
  showName(name: string): void {
    this.filters = { ...NO_FILTERS, text: name };
    void this.reload();
  }
}

export const history = new HistoryStore();
