// The whole-list loader behind the requests and watches stores: flags, errors, and overlapping loads.
import { describe, expect, it } from "vitest";
import { LoadedList } from "./list.svelte";

/** A fetch the test answers by hand, one pending answer per call. */
function manualFetch<T>() {
  const pending: { resolve: (list: T[]) => void; reject: (err: unknown) => void }[] = [];
  return {
    fetch: () => new Promise<T[]>((resolve, reject) => pending.push({ resolve, reject })),
    pending,
  };
}

/** Keeps every list it is told of. */
class Watched extends LoadedList<string> {
  seen: string[][] = [];
  protected override received(list: string[]): void {
    this.seen.push(list);
  }
}

describe("LoadedList", () => {
  it("is loading until the list lands, then loaded with no error", async () => {
    const source = manualFetch<number>();
    const store = new LoadedList(source.fetch);
    const load = store.load();
    expect([store.loading, store.loaded]).toEqual([true, false]);
    source.pending[0].resolve([1, 2]);
    await load;
    expect(store.list).toEqual([1, 2]);
    expect([store.loading, store.loaded, store.error]).toEqual([false, true, null]);
  });

  it("keeps the last list on a failure, with the error, until a load works again", async () => {
    const source = manualFetch<number>();
    const store = new LoadedList(source.fetch);
    let load = store.load();
    source.pending[0].resolve([1]);
    await load;
    load = store.load();
    source.pending[1].reject({ code: "internal", message: "boom" });
    await load;
    expect(store.list).toEqual([1]);
    expect(store.error).toEqual({ code: "internal", message: "boom" });
    expect(store.loading).toBe(false);
    load = store.load();
    source.pending[2].resolve([1, 2]);
    await load;
    expect(store.error).toBeNull();
  });

  it("lets only the newest of overlapping loads land", async () => {
    const source = manualFetch<string>();
    const store = new LoadedList(source.fetch);
    const older = store.load();
    const newer = store.load();
    source.pending[1].resolve(["new"]);
    await newer;
    source.pending[0].resolve(["old"]);
    await older;
    expect(store.list).toEqual(["new"]);
    expect(store.loading).toBe(false);
  });

  it("drops a load under way when reset, and tells subclasses of each list that lands", async () => {
    const source = manualFetch<string>();
    const store = new Watched(source.fetch);
    const dropped = store.load();
    store.reset();
    source.pending[0].resolve(["stale"]);
    await dropped;
    expect([store.list, store.loaded, store.loading]).toEqual([[], false, false]);
    const load = store.load();
    source.pending[1].resolve(["fresh"]);
    await load;
    expect(store.seen).toEqual([["fresh"]]);
  });
});
