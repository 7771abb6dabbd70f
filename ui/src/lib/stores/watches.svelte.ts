// Watched folders: the list, its commands, the add/edit form as plain data, and the words for states.
import * as api from "../api";
import type { AfterUpload } from "../bindings/AfterUpload";
import type { ProfileView } from "../bindings/ProfileView";
import type { WaitReason } from "../bindings/WaitReason";
import type { Watch } from "../bindings/Watch";
import type { WatchInput } from "../bindings/WatchInput";
import type { WatchView } from "../bindings/WatchView";
import { bucketProblem } from "../bucket";
import { LoadedList } from "./list.svelte";

/** Why a file waits, in words a person understands. */
export function waitReasonText(reason: WaitReason): string {
  switch (reason.kind) {
    case "settling":
      return "Settling: waiting a moment to be sure it is complete";
    case "still_growing":
      return "Still growing: another program is still writing it";
    case "cannot_open":
      return `Cannot open yet: ${reason.message}`;
    case "ignored":
      return `Ignored by pattern ${reason.pattern}: it will not be uploaded`;
    case "comparing":
      return "Comparing with an earlier upload of the same file";
    case "paused":
      return "Paused: it will upload when the watch resumes";
  }
}

export type WatchStatus =
  | { kind: "watching"; label: string }
  | { kind: "paused"; label: string }
  | { kind: "starting"; label: string }
  | { kind: "error"; label: string; code: string; message: string };

/** The core ends watch errors with their code in brackets: "the folder is gone [source_missing]". */
export function splitWatchError(error: string): { code: string; message: string } {
  const match = /^(.*?)\s*\[([a-z0-9_]+)\]\s*$/s.exec(error);
  return match ? { code: match[2], message: match[1] } : { code: "watch_failed", message: error };
}

export function watchStatus(view: WatchView): WatchStatus {
  if (view.error !== null) return { kind: "error", label: "Error", ...splitWatchError(view.error) };
  if (view.watch.paused) return { kind: "paused", label: "Paused" };
  if (view.running) return { kind: "watching", label: "Watching" };
  return { kind: "starting", label: "Not running" };
}

/** A pending file's path relative to its watched folder, when it is inside it. */
export function relativePath(folder: string, path: string): string {
  const base = folder.replace(/[\\/]+$/, "");
  if (path.startsWith(base) && /^[\\/]/.test(path.slice(base.length))) return path.slice(base.length + 1);
  return path;
}

export const AFTER_UPLOAD_LABELS: Record<AfterUpload, string> = {
  keep: "Keep the file where it is",
  move: "Move it into .uploaded/",
};

// ---------------------------------------------------------------------------------------------
// The add/edit form

export interface WatchForm {
  folder: string;
  profile: string;
  bucket: string;
  prefix: string;
  recursive: boolean;
  /** One glob per line. */
  ignore: string;
  after_upload: AfterUpload;
}

export type WatchField = "folder" | "profile" | "bucket";
export type WatchErrors = Partial<Record<WatchField, string>>;

export function newWatchForm(folder: string, profile: ProfileView | null): WatchForm {
  return {
    folder,
    profile: profile?.name ?? "",
    bucket: profile?.bucket ?? "",
    prefix: profile?.prefix ?? "",
    recursive: true,
    ignore: "",
    after_upload: "keep",
  };
}

export function formFromWatch(watch: Watch): WatchForm {
  return {
    folder: watch.folder,
    profile: watch.profile,
    bucket: watch.bucket,
    prefix: watch.prefix,
    recursive: watch.recursive,
    ignore: watch.ignore.join("\n"),
    after_upload: watch.after_upload,
  };
}

/** The ignore box's lines as patterns: trimmed, blank lines and repeats dropped. */
export function parseIgnore(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const pattern = line.trim();
    if (pattern !== "") seen.add(pattern);
  }
  return [...seen];
}

export type WatchCheck = { ok: true; input: WatchInput } | { ok: false; errors: WatchErrors };

export function checkWatch(form: WatchForm): WatchCheck {
  const errors: WatchErrors = {};
  const folder = form.folder.trim();
  if (folder === "") errors.folder = "Choose a folder to watch.";
  if (form.profile === "") errors.profile = "Choose a profile: add one in Settings first.";
  const bucket = form.bucket.trim();
  if (bucket === "") errors.bucket = "Enter the bucket the files go to.";
  else {
    const problem = bucketProblem(bucket);
    if (problem) errors.bucket = problem;
  }
  const ignore = parseIgnore(form.ignore);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      folder,
      profile: form.profile,
      bucket,
      prefix: form.prefix.trim().replace(/^\/+|\/+$/g, ""),
      recursive: form.recursive,
      ignore,
      after_upload: form.after_upload,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The store

class WatchesStore extends LoadedList<WatchView> {
  constructor() {
    super(() => api.listWatches());
  }

  /** Puts a watch's new view in the list at once (the event reloads the list again later). */
  #put(view: WatchView): WatchView {
    const at = this.list.findIndex((v) => v.watch.id === view.watch.id);
    this.list = at === -1 ? [...this.list, view] : this.list.map((v, i) => (i === at ? view : v));
    return view;
  }

  async add(input: WatchInput): Promise<WatchView> {
    return this.#put(await api.addWatch(input));
  }

  async update(id: number, input: WatchInput): Promise<WatchView> {
    return this.#put(await api.updateWatch(id, input));
  }

  async setPaused(id: number, paused: boolean): Promise<WatchView> {
    return this.#put(await api.setWatchPaused(id, paused));
  }

  async remove(id: number): Promise<void> {
    await api.removeWatch(id);
    this.list = this.list.filter((v) => v.watch.id !== id);
  }
}

export const watches = new WatchesStore();
