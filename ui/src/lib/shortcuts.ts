// Keyboard shortcuts: the table the help overlay shows and the key → command mapping App.svelte runs.
import { VIEWS, type ViewName } from "./stores/app.svelte";

export type ShortcutCommand =
  | { kind: "pick-files" }
  | { kind: "pick-folder" }
  | { kind: "paste" }
  | { kind: "view"; view: ViewName }
  | { kind: "focus-search" }
  | { kind: "toggle-selected" }
  | { kind: "cancel-selected" }
  | { kind: "pause-all" }
  | { kind: "help" };

/** `keys` are pressed together, unless `either` says any one of them does it. */
export const SHORTCUTS: ReadonlyArray<{ keys: string[]; description: string; either?: boolean }> = [
  { keys: ["Ctrl", "O"], description: "Pick files to upload" },
  { keys: ["Ctrl", "Shift", "O"], description: "Pick a folder to upload" },
  { keys: ["Ctrl", "V"], description: "Upload what is on the clipboard (outside text fields)" },
  { keys: ["Ctrl", "1…5"], description: "Queue, History, Requests, Watches, Settings" },
  { keys: ["Ctrl", "F"], description: "Search the history" },
  { keys: ["↑", "↓"], description: "Move between transfers in the queue", either: true },
  { keys: ["Space"], description: "Pause or resume the selected transfer" },
  { keys: ["Delete"], description: "Cancel the selected transfer" },
  { keys: ["Ctrl", "Shift", "P"], description: "Pause all transfers" },
  { keys: ["?"], description: "Show this help" },
  { keys: ["Esc"], description: "Close this help or a dialog" },
];

const TEXT_INPUT_TYPES = new Set(["text", "search", "url", "email", "password", "number", "tel", ""]);

/** Where typed keys belong to the field, so Ctrl+V, Space, Delete and ? must not be taken over. */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(target.type);
}

/** Controls Space already activates: taking Space there would break clicking by keyboard. */
function activatesOnSpace(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.closest("button, a[href], input, select, textarea, summary, [role='button'], [role='checkbox'], [role='switch']") !== null;
}

export function shortcutFor(event: KeyboardEvent): ShortcutCommand | null {
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const inText = isTextField(event.target);
  if (ctrl && !event.altKey) {
    if (key === "o") return event.shiftKey ? { kind: "pick-folder" } : { kind: "pick-files" };
    if (key === "p" && event.shiftKey) return { kind: "pause-all" };
    if (key === "f" && !event.shiftKey) return { kind: "focus-search" };
    if (key === "v" && !event.shiftKey && !inText) return { kind: "paste" };
    // event.code survives keyboard layouts where the digit row needs Shift (AZERTY).
    const digit = /^Digit([1-5])$/.exec(event.code)?.[1] ?? (/^[1-5]$/.test(key) ? key : null);
    if (digit) return { kind: "view", view: VIEWS[Number(digit) - 1] };
    return null;
  }
  if (event.altKey || inText) return null;
  if (key === "?") return { kind: "help" };
  if (key === " " && !activatesOnSpace(event.target)) return { kind: "toggle-selected" };
  if (key === "Delete") return { kind: "cancel-selected" };
  return null;
}
