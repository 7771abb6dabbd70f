// The one module that talks to the Rust shell: typed commands, the event channel, plugins and drag-drop.
import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";

import type { AddReport } from "./bindings/AddReport";
import type { AppEvent } from "./bindings/AppEvent";
import type { AppStatus } from "./bindings/AppStatus";
import type { HistoryPage } from "./bindings/HistoryPage";
import type { HistoryQuery } from "./bindings/HistoryQuery";
import type { ProfileCheck } from "./bindings/ProfileCheck";
import type { ProfileInput } from "./bindings/ProfileInput";
import type { ProfileView } from "./bindings/ProfileView";
import type { Settings } from "./bindings/Settings";
import type { ShareLink } from "./bindings/ShareLink";
import type { Transfer } from "./bindings/Transfer";
import type { TransferAction } from "./bindings/TransferAction";
import type { TransferCounts } from "./bindings/TransferCounts";
import type { TransferQuery } from "./bindings/TransferQuery";
import type { UploadRequest } from "./bindings/UploadRequest";
import type { UploadRequestInput } from "./bindings/UploadRequestInput";
import type { UploadTarget } from "./bindings/UploadTarget";
import type { WatchInput } from "./bindings/WatchInput";
import type { WatchView } from "./bindings/WatchView";
import { copied } from "./stores/copied.svelte";
import { toasts } from "./stores/toasts.svelte";

// ---------------------------------------------------------------------------------------------
// Errors

/** What every command rejects with, after normalisation: a stable code and a sentence. */
export class CommandError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "CommandError";
    this.code = code;
  }
}

/** Turns whatever a rejected invoke (or a plugin) gave us into a CommandError. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (typeof err === "object" && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code !== "" && typeof message === "string") {
      return new CommandError(code, message);
    }
    if (err instanceof Error) return new CommandError("internal", err.message || String(err));
    if (typeof message === "string" && message !== "") return new CommandError("internal", message);
  }
  // Plugins reject with bare strings.
  if (typeof err === "string" && err !== "") return new CommandError("internal", err);
  return new CommandError("internal", "Something went wrong, and it did not say what.");
}

/** A displayable error: words for a person, the code kept for bug reports and support. */
export interface HumanError {
  text: string;
  code: string;
}

function sentence(message: string): string {
  const trimmed = message.trim();
  if (trimmed === "") return "";
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function endpointIn(message: string): string | null {
  const url = /https?:\/\/[^\s,;:)]+(?::\d+)?/.exec(message);
  if (url) return url[0];
  const talking = /talking to (\S+?):\s/.exec(message);
  return talking ? talking[1] : null;
}

/** Fixed wording for codes whose own message is too technical; the rest use Rust's sentence. */
const FIXED: Record<string, (e: CommandError) => string> = {
  network: (e) => {
    const endpoint = endpointIn(e.message);
    return endpoint
      ? `Can't reach the server at ${endpoint}. Check that it is running and that the address is right.`
      : "Can't reach the server. Check that it is running and that the address is right.";
  },
  unauthorized: () => "The server refused the API key. Enter a valid key for this profile in Settings.",
  no_api_key: () => "This profile has no API key yet. Enter one in Settings.",
  forbidden: () => "The API key is valid but not allowed to do this (for example, in this bucket).",
  keyring_unavailable: () =>
    "The system keyring could not store or read the API key. Make sure a keyring service is running and unlocked.",
  rate_limited: () => "The server is busy and asked to slow down. Mediasaur will try again shortly.",
  insufficient_storage: () => "The server has run out of storage space.",
  file_too_large: () => "The file is larger than the server accepts.",
  file_exists: () => "A file already exists at that bucket and path.",
  bucket_required: () => "Choose a bucket: this profile has no default bucket.",
  request_timeout: () => "The connection was too slow and the server gave up. Try again.",
  unsupported_server: (e) => `This server does not support what Mediasaur needs (${e.message}).`,
  invalid_response: () => "The server answered something that is not the Mediasaur Upload API. Check the address.",
  integrity_mismatch: () => "The server stored different bytes than were sent. Retry the upload.",
  source_missing: () => "The local file is gone: it was moved or deleted.",
  database: () => "Mediasaur could not read or write its local database.",
  internal: (e) => {
    const detail = sentence(e.message);
    return detail ? `Something went wrong inside Mediasaur. ${detail}` : "Something went wrong inside Mediasaur.";
  },
};

/** A sentence a person understands for any error, with its code kept for display underneath. */
export function humanError(err: unknown): HumanError {
  const e = toCommandError(err);
  const fixed = FIXED[e.code];
  const text = fixed ? fixed(e) : sentence(e.message) || "Something went wrong.";
  return { text, code: e.code };
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toCommandError(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands (names and argument keys exactly as in the IPC contract)

export const appStatus = () => call<AppStatus>("app_status");
export const uiReady = () => call<null>("ui_ready");

/** Opens the one event stream; call once at start. */
export async function subscribe(onEvent: (event: AppEvent) => void): Promise<void> {
  const channel = new Channel<AppEvent>();
  channel.onmessage = onEvent;
  await call<null>("subscribe", { onEvent: channel });
}

export const listProfiles = () => call<ProfileView[]>("list_profiles");
export const saveProfile = (input: ProfileInput) => call<ProfileView>("save_profile", { input });
export const removeProfile = (name: string) => call<null>("remove_profile", { name });
export const setApiKey = (profile: string, key: string) => call<ProfileView>("set_api_key", { profile, key });
export const testProfile = (name: string) => call<ProfileCheck>("test_profile", { name });

export const getSettings = () => call<Settings>("get_settings");
export const saveSettings = (settings: Settings) => call<Settings>("save_settings", { settings });

export const addPaths = (paths: string[], target: UploadTarget) => call<AddReport>("add_paths", { paths, target });
export const pasteClipboard = (target: UploadTarget) => call<AddReport>("paste_clipboard", { target });

export const listTransfers = (query: TransferQuery) => call<Transfer[]>("list_transfers", { query });
export const transferCounts = () => call<TransferCounts>("transfer_counts");
export const transferAction = (id: number, action: TransferAction) =>
  call<Transfer>("transfer_action", { id, action });
export const transferActionAll = (action: TransferAction) => call<number>("transfer_action_all", { action });
export const clearFinished = () => call<number>("clear_finished");

export const searchHistory = (query: HistoryQuery) => call<HistoryPage>("search_history", { query });
export const shareLink = (historyId: number, expiresIn: number) =>
  call<ShareLink>("share_link", { historyId, expiresIn });
export const openInBrowser = (historyId: number) => call<null>("open_in_browser", { historyId });
export const revealLocalFile = (historyId: number) => call<null>("reveal_local_file", { historyId });
export const deleteRemoteFile = (historyId: number) => call<null>("delete_remote_file", { historyId });

export const requestUpload = (input: UploadRequestInput) => call<UploadRequest>("request_upload", { input });
export const listRequests = () => call<UploadRequest[]>("list_requests");

export const listWatches = () => call<WatchView[]>("list_watches");
export const addWatch = (input: WatchInput) => call<WatchView>("add_watch", { input });
export const updateWatch = (id: number, input: WatchInput) => call<WatchView>("update_watch", { id, input });
export const setWatchPaused = (id: number, paused: boolean) => call<WatchView>("set_watch_paused", { id, paused });
export const removeWatch = (id: number) => call<null>("remove_watch", { id });

// ---------------------------------------------------------------------------------------------
// Plugins and webview events (views never import @tauri-apps/* themselves)

/** Native file picker; resolves to the chosen files, empty when the person cancels. */
export async function pickFiles(title = "Choose files to upload"): Promise<string[]> {
  try {
    const chosen = await openDialog({ multiple: true, directory: false, title });
    if (chosen === null) return [];
    return Array.isArray(chosen) ? chosen : [chosen];
  } catch (err) {
    throw toCommandError(err);
  }
}

/** Native folder picker; resolves to the chosen folder or null when the person cancels. */
export async function pickFolder(title = "Choose a folder"): Promise<string | null> {
  try {
    const chosen = await openDialog({ multiple: false, directory: true, title });
    if (chosen === null) return null;
    return Array.isArray(chosen) ? (chosen[0] ?? null) : chosen;
  } catch (err) {
    throw toCommandError(err);
  }
}

/**
 * Puts text on the clipboard, says so in a toast and mirrors it into the `copied-text` element.
 * Failures become an error toast; the promise resolves to whether it worked.
 */
export async function copyText(text: string, what = "Copied to the clipboard"): Promise<boolean> {
  try {
    await writeText(text);
  } catch (err) {
    const e = humanError(err);
    toasts.push(`Could not copy: ${e.text}`, { kind: "error", code: e.code });
    return false;
  }
  copied.text = text;
  toasts.push(what, { kind: "success" });
  return true;
}

/** A drag over the window, reduced to what the UI needs. */
export type DragDrop = { type: "enter"; paths: string[] } | { type: "over" } | { type: "drop"; paths: string[] } | { type: "leave" };

/** Listens to native file drags over the window; resolves to a function that stops listening. */
export async function onDragDrop(handler: (event: DragDrop) => void): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent(({ payload }) => {
    switch (payload.type) {
      case "enter":
        handler({ type: "enter", paths: payload.paths });
        break;
      case "over":
        handler({ type: "over" });
        break;
      case "drop":
        handler({ type: "drop", paths: payload.paths });
        break;
      case "leave":
        handler({ type: "leave" });
        break;
    }
  });
}

/** Where Rust serves a local thumbnail (Windows' webview cannot load custom schemes directly). */
export function thumbUrl(of: "history" | "transfer", id: number): string {
  const windows = typeof navigator !== "undefined" && /Windows/i.test(navigator.userAgent);
  return windows ? `http://thumb.localhost/${of}/${id}` : `thumb://localhost/${of}/${id}`;
}
