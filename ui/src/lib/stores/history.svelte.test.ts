// The history store: queries from filters, paging with the cursor, refreshes that keep loaded pages, stale answers.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { HistoryQuery } from "../bindings/HistoryQuery";
import { fileObject } from "../../test/fixtures";
import { buildQuery, history, mergeFirstPage, NO_FILTERS, PAGE_LIMIT } from "./history.svelte";

function entry(id: number): HistoryEntry {
  return {
    id,
    profile: "default",
    source: null,
    sha256: "",
    verified: false,
    uploaded_at: id,
    file: fileObject({ id: `f_${id}`, path: `p-${id}.jpg` }),
  };
}

const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => entry(from - i));

describe("buildQuery", () => {
  it("leaves out blank filters and trims text", () => {
    const q = buildQuery({ ...NO_FILTERS, text: "  cat  " }, null);
    expect(q.text).toBe("cat");
    expect([q.kind, q.mime_type, q.uploaded_after, q.verified, q.cursor]).toEqual([null, null, null, null, null]);
    expect(q.limit).toBe(PAGE_LIMIT);
  });

  it("maps every filter", () => {
    const now = new Date(2024, 0, 10, 12).getTime();
    const q = buildQuery({ text: "", kind: "image", mimeType: "image/png", range: "today", verifiedOnly: true }, "c2", now);
    expect(q).toMatchObject({
      text: null,
      kind: "image",
      mime_type: "image/png",
      uploaded_after: new Date(2024, 0, 10).getTime(),
      verified: true,
      cursor: "c2",
    });
  });
});

describe("mergeFirstPage", () => {
  it("puts the fresh page first and keeps older loaded entries", () => {
    const loaded = range(10, 1);
    const page = [entry(12), entry(11), entry(10), entry(9)];
    expect(mergeFirstPage(loaded, page).map((e) => e.id)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it("drops loaded entries the page no longer has (deleted)", () => {
    const loaded = range(5, 1);
    const page = [entry(5), entry(3)];
    expect(mergeFirstPage(loaded, page).map((e) => e.id)).toEqual([5, 3, 2, 1]);
  });
});

describe("HistoryStore", () => {
  let queries: HistoryQuery[] = [];
  let reply: (q: HistoryQuery) => unknown = () => ({ entries: [], next_cursor: null });

  beforeEach(() => {
    queries = [];
    history.reset();
    mockIPC((command, args) => {
      if (command !== "search_history") return null;
      const { query } = args as { query: HistoryQuery };
      queries.push(query);
      return reply(query);
    });
  });
  afterEach(() => clearMocks());

  it("pages with the cursor and stops at the end", async () => {
    reply = (q) =>
      q.cursor === null ? { entries: range(200, 101), next_cursor: "a" } : { entries: range(100, 1), next_cursor: null };
    await history.reload();
    await history.loadMore();
    expect(queries.map((q) => q.cursor)).toEqual([null, "a"]);
    expect(history.entries).toHaveLength(200);
    expect(history.nextCursor).toBeNull();
    await history.loadMore();
    expect(queries).toHaveLength(2);
  });

  it("refreshes past the first page without losing what was scrolled through", async () => {
    reply = (q) =>
      q.cursor === null ? { entries: range(200, 101), next_cursor: "a" } : { entries: range(100, 1), next_cursor: "b" };
    await history.reload();
    await history.loadMore();
    reply = () => ({ entries: range(201, 102), next_cursor: "z" });
    await history.refresh();
    expect(history.entries).toHaveLength(201);
    expect(history.entries[0].id).toBe(201);
    expect(history.entries[200].id).toBe(1);
    // The next page still continues after the last loaded entry.
    expect(history.nextCursor).toBe("b");
  });

  it("drops an answer that arrives after the filters moved on", async () => {
    let release: (value: unknown) => void = () => undefined;
    reply = (q) =>
      q.text === "slow" ? new Promise((resolve) => (release = resolve)) : { entries: [entry(1)], next_cursor: null };
    history.filters.text = "slow";
    const slow = history.reload();
    history.filters.text = "fast";
    await history.reload();
    release({ entries: [entry(9)], next_cursor: null });
    await slow;
    expect(history.entries.map((e) => e.id)).toEqual([1]);
    expect(history.loading).toBe(false);
  });

  it("keeps the error of a failed search for the view", async () => {
    reply = () => {
      throw { code: "invalid_request", message: "the search text has 40 words; at most 32 are searched" };
    };
    await history.reload();
    expect(history.error).toMatchObject({ code: "invalid_request" });
  });
});
