// A list fetched whole by one command (requests, watches): its loading flag and last error, and only the
// newest of overlapping loads lands (an event-driven reload can overtake the one before it).
export class LoadedList<T> {
  list = $state.raw<T[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state.raw<unknown>(null);
  #generation = 0;
  readonly #fetch: () => Promise<T[]>;

  constructor(fetch: () => Promise<T[]>) {
    this.#fetch = fetch;
  }

  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    try {
      const list = await this.#fetch();
      if (generation !== this.#generation) return;
      this.list = list;
      this.error = null;
      this.loaded = true;
      this.received(list);
    } catch (err) {
      if (generation === this.#generation) this.error = err;
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Called with each list that lands, for what has to follow it. */
  protected received(_list: T[]): void {}

  /** Back to a fresh start (tests); a load under way is dropped when it answers. */
  reset(): void {
    this.#generation++;
    this.list = [];
    this.loaded = false;
    this.loading = false;
    this.error = null;
  }
}
