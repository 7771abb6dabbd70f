// The History view: search and filters → search_history, rendering (dimensions, verified, thumbnails),
// paging, per-file actions with their exact commands and arguments, and refresh on history_changed.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HistoryEntry } from "../lib/bindings/HistoryEntry";
import type { HistoryQuery } from "../lib/bindings/HistoryQuery";
import { routeEvent } from "../lib/events";
import { app } from "../lib/stores/app.svelte";
import { copied } from "../lib/stores/copied.svelte";
import { history } from "../lib/stores/history.svelte";
import { toasts } from "../lib/stores/toasts.svelte";
import { fileObject, settings } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import History from "./History.svelte";

function entry(id: number, over: Partial<HistoryEntry> = {}, file: Parameters<typeof fileObject>[0] = {}): HistoryEntry {
  return {
    id,
    profile: "default",
    source: `/home/ada/pictures/photo-${id}.jpg`,
    sha256: "ab".repeat(32),
    verified: false,
    uploaded_at: Date.now() - id * 60_000,
    file: fileObject({
      id: `f_${id}`,
      path: `2024/photo-${id}.jpg`,
      url: `http://localhost:8080/media/2024/photo-${id}.jpg`,
      ...file,
    }),
    ...over,
  };
}

const ipc = new IpcRecorder();
let pages: Record<string, { entries: HistoryEntry[]; next_cursor: string | null }> = {};
let failures: Record<string, { code: string; message: string }> = {};

const ENTRIES = [
  entry(3, { verified: true }),
  entry(2, {}, { kind: "audio", type: "audio/mpeg", width: null, height: null, duration: 125, path: "music/song.mp3", url: "http://localhost:8080/media/music/song.mp3" }),
  entry(1, { source: null }, { kind: "document", type: "application/pdf", width: null, height: null, path: "docs/r&d <draft>.pdf", url: "http://localhost:8080/media/docs/r&d%20<draft>.pdf" }),
];

beforeEach(() => {
  failures = {};
  pages = { first: { entries: ENTRIES, next_cursor: null } };
  history.reset();
  app.settings = null;
  toasts.clear();
  copied.text = "";
  ipc.mock((command, args) => {
    const failure = failures[command];
    if (failure) throw failure;
    switch (command) {
      case "search_history": {
        const { query } = args as { query: HistoryQuery };
        return pages[query.cursor ?? "first"] ?? { entries: [], next_cursor: null };
      }
      case "share_link":
        return { url: `http://localhost:8080/media/signed?id=${(args as { historyId: number }).historyId}`, expires_at: 0 };
      default:
        return null;
    }
  });
});
afterEach(() => clearMocks());

function last<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}

function lastQuery(): HistoryQuery {
  const searches = ipc.args("search_history");
  return searches[searches.length - 1].query as HistoryQuery;
}

function item(id: number): HTMLElement {
  const found = screen.getAllByTestId("history-item").find((el) => el.dataset.historyId === String(id));
  if (!found) throw new Error(`no history item ${id}`);
  return found;
}

describe("History view: loading and rendering", () => {
  it("asks for the newest 100 without filters and renders each entry", async () => {
    render(History);
    await settle();
    expect(ipc.args("search_history")).toHaveLength(1);
    expect(lastQuery()).toEqual({
      text: null,
      kind: null,
      mime_type: null,
      profile: null,
      bucket: null,
      uploaded_after: null,
      uploaded_before: null,
      min_width: null,
      max_width: null,
      min_height: null,
      max_height: null,
      min_duration: null,
      max_duration: null,
      verified: null,
      cursor: null,
      limit: 100,
    });
    const items = screen.getAllByTestId("history-item");
    expect(items.map((el) => el.dataset.historyId)).toEqual(["3", "2", "1"]);
    expect(items[0].dataset.fileId).toBe("f_3");
    expect(within(items[0]).getByTestId("history-name").textContent).toBe("photo-3.jpg");
    expect(within(items[0]).getByTestId("history-dimensions").textContent).toBe("640×480");
    expect(within(items[0]).getByTestId("history-size").textContent).toBe("1000 B");
    expect(items[0].textContent).toContain("media/2024/photo-3.jpg");
  });

  it("shows the verified badge only on verified entries", async () => {
    render(History);
    await settle();
    expect(within(item(3)).queryByTestId("history-verified")).not.toBeNull();
    expect(within(item(2)).queryByTestId("history-verified")).toBeNull();
    expect(within(item(1)).queryByTestId("history-verified")).toBeNull();
  });

  it("shows a duration for audio and no dimensions where there are none", async () => {
    render(History);
    await settle();
    expect(within(item(2)).queryByTestId("history-dimensions")).toBeNull();
    expect(within(item(2)).getByTestId("history-duration").textContent).toBe("2:05");
    expect(within(item(1)).queryByTestId("history-dimensions")).toBeNull();
    expect(within(item(1)).queryByTestId("history-duration")).toBeNull();
  });

  it("loads the local thumbnail lazily, then the uploaded image, then shows the kind's icon", async () => {
    render(History);
    await settle();
    const img = within(item(3)).getByTestId("history-thumb") as HTMLImageElement;
    expect(img.tagName).toBe("IMG");
    expect(img.getAttribute("src")).toBe("thumb://localhost/history/3");
    expect(img.getAttribute("loading")).toBe("lazy");
    await fireEvent.error(img);
    const fallback = within(item(3)).getByTestId("history-thumb");
    expect(fallback.getAttribute("src")).toBe("http://localhost:8080/media/2024/photo-3.jpg");
    await fireEvent.error(fallback);
    expect(within(item(3)).getByTestId("history-thumb").tagName).not.toBe("IMG");
    // Not an image: no request at all, the icon straight away.
    expect(within(item(1)).getByTestId("history-thumb").tagName).not.toBe("IMG");
  });

  it("toggles between list and grid", async () => {
    render(History);
    await settle();
    const list = screen.getByTestId("history-layout-list");
    const grid = screen.getByTestId("history-layout-grid");
    expect(list.getAttribute("aria-pressed")).toBe("true");
    await fireEvent.click(grid);
    expect(grid.getAttribute("aria-pressed")).toBe("true");
    expect(item(3).classList.contains("grid")).toBe(true);
    await fireEvent.click(list);
    expect(item(3).classList.contains("list")).toBe(true);
  });

  it("shows a failed search in words with its code", async () => {
    failures.search_history = { code: "database", message: "disk I/O error" };
    render(History);
    await settle();
    expect(screen.getByTestId("error-code").textContent).toBe("database");
    expect(screen.getByTestId("error-message").textContent).toContain("could not read or write its local database");
  });
});

describe("History view: search, filters, paging, refresh", () => {
  it("debounces the search box and sends the text", async () => {
    render(History);
    await settle();
    const search = screen.getByTestId("history-search") as HTMLInputElement;
    await fireEvent.input(search, { target: { value: "hol" } });
    await fireEvent.input(search, { target: { value: "holiday par" } });
    await settle();
    expect(ipc.args("search_history")).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 250));
    await settle();
    expect(ipc.args("search_history")).toHaveLength(2);
    expect(lastQuery().text).toBe("holiday par");
    expect(lastQuery().cursor).toBeNull();
  });

  it("sends kind, type family, date range and verified filters", async () => {
    render(History);
    await settle();
    await fireEvent.change(screen.getByTestId("history-kind"), { target: { value: "video" } });
    await settle();
    expect(lastQuery().kind).toBe("video");
    await fireEvent.change(screen.getByTestId("history-type"), { target: { value: "image/" } });
    await settle();
    expect(lastQuery().mime_type).toBe("image/");
    const before = Date.now();
    await fireEvent.change(screen.getByTestId("history-range"), { target: { value: "7d" } });
    await settle();
    const after = lastQuery().uploaded_after ?? 0;
    expect(after).toBeGreaterThanOrEqual(before - 7 * 86_400_000 - 1000);
    expect(after).toBeLessThanOrEqual(Date.now() - 7 * 86_400_000);
    await fireEvent.click(screen.getByTestId("history-verified-only"));
    await settle();
    expect(lastQuery()).toMatchObject({ kind: "video", mime_type: "image/", verified: true, cursor: null, limit: 100 });
  });

  it("loads the next page with the cursor and appends it", async () => {
    pages = {
      first: { entries: [entry(5), entry(4)], next_cursor: "c1" },
      c1: { entries: [entry(3), entry(2)], next_cursor: null },
    };
    render(History);
    await settle();
    await fireEvent.click(screen.getByTestId("history-load-more"));
    await settle();
    expect(lastQuery().cursor).toBe("c1");
    expect(screen.getAllByTestId("history-item").map((el) => el.dataset.historyId)).toEqual(["5", "4", "3", "2"]);
    expect(screen.queryByTestId("history-load-more")).toBeNull();
  });

  it("loads the next page by itself when the end of the list comes into sight", async () => {
    pages = {
      first: { entries: [entry(5), entry(4)], next_cursor: "c1" },
      c1: { entries: [entry(3)], next_cursor: null },
    };
    const observed: Element[] = [];
    vi.stubGlobal(
      "IntersectionObserver",
      class {
        constructor(private readonly report: (records: { isIntersecting: boolean }[]) => void) {}
        observe(target: Element): void {
          observed.push(target);
          queueMicrotask(() => this.report([{ isIntersecting: true }]));
        }
        disconnect(): void {}
      },
    );
    try {
      render(History);
      await settle();
      await settle();
      expect(observed.length).toBeGreaterThan(0);
      expect(ipc.args("search_history").map((a) => (a.query as HistoryQuery).cursor)).toEqual([null, "c1"]);
      expect(screen.getAllByTestId("history-item").map((el) => el.dataset.historyId)).toEqual(["5", "4", "3"]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("searches again when the shell says the history changed", async () => {
    render(History);
    await settle();
    pages.first = { entries: [entry(4), ...ENTRIES], next_cursor: null };
    routeEvent({ type: "history_changed" });
    await settle();
    expect(ipc.args("search_history")).toHaveLength(2);
    expect(screen.getAllByTestId("history-item").map((el) => el.dataset.historyId)).toEqual(["4", "3", "2", "1"]);
  });
});

describe("History view: actions", () => {
  it("copies the URL through the clipboard plugin and the copied-text mirror", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-copy-url"));
    await settle();
    expect(last(ipc.args("plugin:clipboard-manager|write_text"))?.text).toBe("http://localhost:8080/media/2024/photo-3.jpg");
    expect(copied.text).toBe("http://localhost:8080/media/2024/photo-3.jpg");
    expect(last(toasts.items)?.text).toBe("URL copied");
  });

  it("copies Markdown and HTML, escaped, image or link by kind", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-copy-markdown"));
    await settle();
    expect(copied.text).toBe("![photo-3.jpg](http://localhost:8080/media/2024/photo-3.jpg)");
    await fireEvent.click(within(item(3)).getByTestId("history-copy-html"));
    await settle();
    expect(copied.text).toBe('<img src="http://localhost:8080/media/2024/photo-3.jpg" alt="photo-3.jpg">');
    await fireEvent.click(within(item(1)).getByTestId("history-copy-markdown"));
    await settle();
    expect(copied.text).toBe("[r&d \\<draft\\>.pdf](http://localhost:8080/media/docs/r&d%20%3Cdraft%3E.pdf)");
    await fireEvent.click(within(item(1)).getByTestId("history-copy-html"));
    await settle();
    expect(copied.text).toBe('<a href="http://localhost:8080/media/docs/r&amp;d%20&lt;draft&gt;.pdf">r&amp;d &lt;draft&gt;.pdf</a>');
  });

  it("signs a share link for each preset with its seconds and copies it", async () => {
    render(History);
    await settle();
    for (const [preset, seconds] of [
      ["1h", 3600],
      ["1d", 86400],
      ["7d", 604800],
    ] as const) {
      await fireEvent.click(within(item(3)).getByTestId("history-share"));
      await settle();
      await fireEvent.click(within(item(3)).getByTestId(`share-preset-${preset}`));
      await settle();
      expect(last(ipc.args("share_link"))).toEqual({ historyId: 3, expiresIn: seconds });
      expect(copied.text).toBe("http://localhost:8080/media/signed?id=3");
      // The chooser closes once the link is copied.
      expect(within(item(3)).queryByTestId("share-preset-1h")).toBeNull();
    }
  });

  it("marks and focuses the default expiry from the settings, without asking the shell again", async () => {
    app.settings = settings({ default_link_expiry: 604800 });
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-share"));
    await settle();
    expect(ipc.args("get_settings")).toHaveLength(0);
    const week = within(item(3)).getByTestId("share-preset-7d");
    expect(week.dataset.default).toBe("true");
    expect(week.textContent).toContain("default");
    expect(document.activeElement).toBe(week);
    expect(within(item(3)).getByTestId("share-preset-1d").dataset.default).toBe("false");
  });

  it("follows a default saved in Settings while the chooser is open", async () => {
    app.settings = settings({ default_link_expiry: 604800 });
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-share"));
    await settle();
    app.settings = settings({ default_link_expiry: 3600 });
    flushSync();
    expect(within(item(3)).getByTestId("share-preset-1h").dataset.default).toBe("true");
    expect(within(item(3)).getByTestId("share-preset-7d").dataset.default).toBe("false");
    expect(ipc.args("get_settings")).toHaveLength(0);
  });

  it("offers a default that is none of the presets as its own choice", async () => {
    app.settings = settings({ default_link_expiry: 7200 });
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-share"));
    await settle();
    const choice = within(item(3)).getByTestId("share-preset-default");
    expect(choice.textContent).toContain("2 hours");
    await fireEvent.click(choice);
    await settle();
    expect(last(ipc.args("share_link"))).toEqual({ historyId: 3, expiresIn: 7200 });
  });

  it("signs a custom expiry in seconds, and refuses zero", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(2)).getByTestId("history-share"));
    await fireEvent.click(within(item(2)).getByTestId("share-custom"));
    await settle();
    const input = within(item(2)).getByTestId("share-custom-seconds");
    await fireEvent.input(input, { target: { value: "0" } });
    await fireEvent.click(within(item(2)).getByTestId("share-custom-submit"));
    await settle();
    expect(ipc.args("share_link")).toHaveLength(0);
    expect(within(item(2)).getByRole("alert").textContent).toContain("more than zero");
    await fireEvent.input(input, { target: { value: "45" } });
    await fireEvent.click(within(item(2)).getByTestId("share-custom-submit"));
    await settle();
    expect(ipc.args("share_link")).toEqual([{ historyId: 2, expiresIn: 45 }]);
  });

  it("moves between the choices with the arrow keys and closes when the list scrolls", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-share"));
    await settle();
    const day = within(item(3)).getByTestId("share-preset-1d");
    expect(document.activeElement).toBe(day);
    await fireEvent.keyDown(day, { key: "ArrowDown" });
    expect(document.activeElement).toBe(within(item(3)).getByTestId("share-preset-7d"));
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: "ArrowUp" });
    expect(document.activeElement).toBe(day);
    await fireEvent.scroll(screen.getByTestId("history-results"));
    expect(within(item(3)).queryByTestId("share-preset-1d")).toBeNull();
  });

  it("closes the share chooser with Escape", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-share"));
    await settle();
    await fireEvent.keyDown(within(item(3)).getByTestId("share-preset-1h"), { key: "Escape" });
    expect(within(item(3)).queryByTestId("share-preset-1h")).toBeNull();
    expect(document.activeElement).toBe(within(item(3)).getByTestId("history-share"));
  });

  it("opens in the browser and reveals the local file with the history id", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-open"));
    await fireEvent.click(within(item(3)).getByTestId("history-reveal"));
    await settle();
    expect(ipc.args("open_in_browser")).toEqual([{ historyId: 3 }]);
    expect(ipc.args("reveal_local_file")).toEqual([{ historyId: 3 }]);
    // No local file recorded: nothing to reveal.
    expect((within(item(1)).getByTestId("history-reveal") as HTMLButtonElement).disabled).toBe(true);
  });

  it("says in words that the local file is gone, with the code", async () => {
    failures.reveal_local_file = { code: "source_missing", message: "/home/ada/pictures/photo-3.jpg does not exist" };
    render(History);
    await settle();
    await fireEvent.click(within(item(3)).getByTestId("history-reveal"));
    await settle();
    expect(within(item(3)).getByTestId("error-code").textContent).toBe("source_missing");
    expect(within(item(3)).getByTestId("error-message").textContent).toContain("The local file is gone: it was moved or deleted.");
  });

  it("deletes from the server only after the confirm, then drops the entry", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(2)).getByTestId("history-delete"));
    await settle();
    expect(ipc.args("delete_remote_file")).toHaveLength(0);
    expect(screen.getByRole("alertdialog").textContent).toContain("song.mp3");
    await fireEvent.click(screen.getByTestId("confirm-delete"));
    await settle();
    expect(ipc.args("delete_remote_file")).toEqual([{ historyId: 2 }]);
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(screen.getAllByTestId("history-item").map((el) => el.dataset.historyId)).toEqual(["3", "1"]);
  });

  it("cancels a delete with Escape and keeps a failed delete's error in the dialog", async () => {
    render(History);
    await settle();
    await fireEvent.click(within(item(2)).getByTestId("history-delete"));
    await fireEvent.keyDown(screen.getByRole("alertdialog"), { key: "Escape" });
    expect(screen.queryByRole("alertdialog")).toBeNull();

    failures.delete_remote_file = { code: "forbidden", message: "not allowed" };
    await fireEvent.click(within(item(2)).getByTestId("history-delete"));
    await fireEvent.click(screen.getByTestId("confirm-delete"));
    await settle();
    const dialog = screen.getByRole("alertdialog");
    expect(within(dialog).getByTestId("error-code").textContent).toBe("forbidden");
    expect(screen.getAllByTestId("history-item")).toHaveLength(3);
  });
});
