// Toast notifications shown in the corner of the window (any view can push one).
export type ToastKind = "info" | "success" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  /** Stable error code shown under the words (errors only). */
  code: string | null;
}

export interface ToastOptions {
  kind?: ToastKind;
  code?: string | null;
  /** Milliseconds before it goes away by itself; 0 keeps it until dismissed. */
  timeout?: number;
}

const DEFAULT_TIMEOUT = { info: 4000, success: 3000, error: 8000 } as const;
/** More than this many at once would cover the window; the oldest make room. */
const MAX_VISIBLE = 5;

class ToastStore {
  items = $state<Toast[]>([]);
  #nextId = 1;

  push(text: string, options: ToastOptions = {}): number {
    const kind = options.kind ?? "info";
    const id = this.#nextId++;
    this.items = [...this.items, { id, kind, text, code: options.code ?? null }].slice(-MAX_VISIBLE);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT[kind];
    if (timeout > 0) setTimeout(() => this.dismiss(id), timeout);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

export const toasts = new ToastStore();
