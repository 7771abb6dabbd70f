// Getting files into the queue: drop, pickers and paste all end in add_paths/paste_clipboard here.
import * as api from "./api";
import type { AddReport } from "./bindings/AddReport";
import { plural } from "./format";
import { app } from "./stores/app.svelte";
import { target } from "./stores/target.svelte";
import { toasts } from "./stores/toasts.svelte";

/** Failures listed one by one before the rest are summed up, so a bad folder does not bury the screen. */
const FAILURES_SHOWN = 3;

/** Tells the person what happened to what they added. */
export function reportIntake(report: AddReport): void {
  if (report.queued > 0) {
    const again = report.already_queued > 0 ? `; ${plural(report.already_queued, "was", "were")} already queued` : "";
    toasts.push(`Queued ${plural(report.queued, "file")}${again}.`, { kind: "success" });
  } else if (report.already_queued > 0) {
    toasts.push(`${plural(report.already_queued, "file")} already in the queue.`, { kind: "info" });
  } else if (report.failures.length === 0) {
    toasts.push("Nothing to upload there.", { kind: "info" });
  }
  for (const failure of report.failures.slice(0, FAILURES_SHOWN)) {
    const { text, code } = api.humanError(failure);
    toasts.push(`${failure.source}: ${text}`, { kind: "error", code });
  }
  const rest = report.failures.length - FAILURES_SHOWN;
  if (rest > 0) toasts.push(`…and ${plural(rest, "more file")} could not be added.`, { kind: "error" });
  for (const warning of report.warnings) toasts.push(warning, { kind: "info" });
}

function reportFailure(err: unknown): void {
  const { text, code } = api.humanError(err);
  toasts.push(text, { kind: "error", code });
}

/**
 * What a native drop (and the e2e hook) calls: queues the paths for the drop target's destination.
 * Rejects with a CommandError after showing it, so a caller can tell it failed.
 */
export async function queuePaths(paths: string[]): Promise<AddReport> {
  try {
    const report = await api.addPaths(paths, target.uploadTarget);
    reportIntake(report);
    if (report.queued > 0) app.view = "queue";
    return report;
  } catch (err) {
    reportFailure(err);
    throw err;
  }
}

/** Pickers and paste are fire-and-forget from buttons and shortcuts: errors end as toasts. */
export async function pickAndQueueFiles(): Promise<void> {
  let paths: string[];
  try {
    paths = await api.pickFiles();
  } catch (err) {
    reportFailure(err);
    return;
  }
  // queuePaths has already shown its own failure.
  if (paths.length > 0) await queuePaths(paths).catch(() => undefined);
}

export async function pickAndQueueFolder(): Promise<void> {
  let folder: string | null;
  try {
    folder = await api.pickFolder("Choose a folder to upload");
  } catch (err) {
    reportFailure(err);
    return;
  }
  if (folder !== null) await queuePaths([folder]).catch(() => undefined);
}

export async function pasteIntoQueue(): Promise<void> {
  try {
    const report = await api.pasteClipboard(target.uploadTarget);
    reportIntake(report);
    if (report.queued > 0) app.view = "queue";
  } catch (err) {
    reportFailure(err);
  }
}
