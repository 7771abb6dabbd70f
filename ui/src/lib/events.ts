// Routes the shell's AppEvents to the stores that own them.
import type { AppEvent } from "./bindings/AppEvent";
import { copied } from "./stores/copied.svelte";
import { toasts } from "./stores/toasts.svelte";
import { app, isView } from "./stores/app.svelte";
import { queue } from "./stores/queue.svelte";

export function routeEvent(event: AppEvent): void {
  switch (event.type) {
    case "queue": {
      queue.applyEvent(event.event);
      break;
    }
    case "counts":
      queue.setCounts(event.counts);
      break;
    case "copy_to_clipboard": {
      // Rust already wrote the clipboard (it does so even while the window is hidden).
      copied.text = event.text;
      const links = event.text.split("\n").length;
      toasts.push(links === 1 ? "Copied the link to the clipboard" : `Copied ${links} links to the clipboard`, { kind: "success" });
      break;
    }
    case "batch_finished":
      toasts.push(batchSentence(event.batch.done, event.batch.failed), {
        kind: event.batch.failed > 0 ? "error" : "success",
      });
      break;
    case "queue_changed":
      queue.reload().catch(() => undefined);
      break;
    case "watches_changed":
      app.revisions.watches++;
      break;
    case "history_changed":
      app.revisions.history++;
      break;
    case "requests_changed":
      app.revisions.requests++;
      break;
    case "navigate":
      if (isView(event.view)) app.view = event.view;
      break;
  }
}

/** "12 files uploaded, 1 failed", as the system notification says it. */
export function batchSentence(done: number, failed: number): string {
  const files = (n: number) => (n === 1 ? "file" : "files");
  if (failed === 0) return `${done} ${files(done)} uploaded`;
  if (done === 0) return `${failed} ${files(failed)} failed`;
  return `${done} ${files(done)} uploaded, ${failed} failed`;
}
