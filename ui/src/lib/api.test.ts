// api.ts: exact command names and argument keys, error normalisation, human wording, plugins.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { Channel } from "@tauri-apps/api/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as api from "./api";
import { CommandError, humanError, toCommandError } from "./api";
import type { AppEvent } from "./bindings/AppEvent";
import { copied } from "./stores/copied.svelte";
import { toasts } from "./stores/toasts.svelte";
import { IpcRecorder } from "../test/ipc";

const ipc = new IpcRecorder();

beforeEach(() => {
  toasts.clear();
  copied.text = "";
});
afterEach(() => clearMocks());

describe("toCommandError", () => {
  it("keeps a coded error as it is", () => {
    const e = toCommandError({ code: "unauthorized", message: "bad key" });
    expect(e).toBeInstanceOf(CommandError);
    expect([e.code, e.message]).toEqual(["unauthorized", "bad key"]);
  });

  it("turns every other shape into code internal", () => {
    expect(toCommandError("plugin exploded").code).toBe("internal");
    expect(toCommandError("plugin exploded").message).toBe("plugin exploded");
    expect(toCommandError(new Error("boom")).message).toBe("boom");
    expect(toCommandError({ code: 42, message: "x" }).code).toBe("internal");
    expect(toCommandError({ message: "only words" }).message).toBe("only words");
    expect(toCommandError(null).code).toBe("internal");
    expect(toCommandError(undefined).message).toMatch(/went wrong/);
  });
});

describe("humanError", () => {
  it("names the server a network error could not reach", () => {
    const h = humanError({ code: "network", message: "network error talking to http://127.0.0.1:8080: connection refused" });
    expect(h.code).toBe("network");
    expect(h.text).toBe("Can't reach the server at http://127.0.0.1:8080. Check that it is running and that the address is right.");
  });

  it("has fixed words for an unauthorized key", () => {
    expect(humanError({ code: "unauthorized", message: "invalid api key (unauthorized, HTTP 401)" }).text).toMatch(/^The server refused the API key/);
  });

  it("uses the shell's own sentence for codes without fixed words", () => {
    expect(humanError({ code: "invalid_state", message: "transfer 3 is done; only a failed transfer can become queued" })).toEqual({
      code: "invalid_state",
      text: "Transfer 3 is done; only a failed transfer can become queued.",
    });
  });

  it("keeps the code of unknown shapes", () => {
    expect(humanError(new Error("kaputt"))).toEqual({ code: "internal", text: "Something went wrong inside Mediasaur. Kaputt." });
  });
});

describe("commands", () => {
  it("invokes each command with the contract's name and argument keys", async () => {
    ipc.mock();
    const target = { profile: "default", bucket: "media", prefix: "" };
    const query = { states: [], after: 5, limit: 1000 };
    await api.appStatus();
    await api.uiReady();
    await api.listProfiles();
    await api.saveProfile({ name: "p", endpoint: "http://x", bucket: null, prefix: "", make_default: true });
    await api.removeProfile("p");
    await api.setApiKey("p", "secret");
    await api.testProfile("p");
    await api.getSettings();
    await api.addPaths(["/a"], target);
    await api.pasteClipboard(target);
    await api.listTransfers(query);
    await api.transferCounts();
    await api.transferAction(7, "pause");
    await api.transferActionAll("retry");
    await api.clearFinished();
    await api.shareLink(3, 3600);
    await api.openInBrowser(3);
    await api.revealLocalFile(3);
    await api.deleteRemoteFile(3);
    await api.listRequests();
    await api.listWatches();
    await api.setWatchPaused(2, true);
    await api.removeWatch(2);
    expect(ipc.calls).toEqual([
      ["app_status", {}],
      ["ui_ready", {}],
      ["list_profiles", {}],
      ["save_profile", { input: { name: "p", endpoint: "http://x", bucket: null, prefix: "", make_default: true } }],
      ["remove_profile", { name: "p" }],
      ["set_api_key", { profile: "p", key: "secret" }],
      ["test_profile", { name: "p" }],
      ["get_settings", {}],
      ["add_paths", { paths: ["/a"], target }],
      ["paste_clipboard", { target }],
      ["list_transfers", { query }],
      ["transfer_counts", {}],
      ["transfer_action", { id: 7, action: "pause" }],
      ["transfer_action_all", { action: "retry" }],
      ["clear_finished", {}],
      ["share_link", { historyId: 3, expiresIn: 3600 }],
      ["open_in_browser", { historyId: 3 }],
      ["reveal_local_file", { historyId: 3 }],
      ["delete_remote_file", { historyId: 3 }],
      ["list_requests", {}],
      ["list_watches", {}],
      ["set_watch_paused", { id: 2, paused: true }],
      ["remove_watch", { id: 2 }],
    ]);
  });

  it("wraps inputs under their argument key", async () => {
    ipc.mock();
    const watch = { folder: "/w", profile: "p", bucket: "b", prefix: "", recursive: true, ignore: ["*.tmp"], after_upload: "keep" as const };
    await api.addWatch(watch);
    await api.updateWatch(4, watch);
    await api.requestUpload({ profile: null, bucket: "b", path: "x.png", expires_in: 600, method: "token" });
    await api.saveSettings({
      concurrency: 2,
      bandwidth_limit: null,
      chunk_size: 65536,
      default_link_expiry: 60,
      auto_copy: "off",
      notifications: false,
      start_at_login: false,
      theme: "dark",
      duplicates: "never",
    });
    expect(ipc.calls.map(([c, a]) => [c, Object.keys(a ?? {})])).toEqual([
      ["add_watch", ["input"]],
      ["update_watch", ["id", "input"]],
      ["request_upload", ["input"]],
      ["save_settings", ["settings"]],
    ]);
  });

  it("rejects with a CommandError carrying the shell's code", async () => {
    mockIPC(() => {
      throw { code: "not_found", message: "no transfer 9" };
    });
    const err = await api.transferAction(9, "cancel").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).code).toBe("not_found");
  });

  it("subscribes with a channel whose messages reach the handler", async () => {
    let channel: Channel<AppEvent> | null = null;
    mockIPC((command, args) => {
      if (command === "subscribe") channel = (args as { onEvent: Channel<AppEvent> }).onEvent;
      return null;
    });
    const seen: AppEvent[] = [];
    await api.subscribe((e) => seen.push(e));
    expect(channel).toBeInstanceOf(Channel);
    channel!.onmessage({ type: "history_changed" });
    expect(seen).toEqual([{ type: "history_changed" }]);
  });
});

describe("plugins", () => {
  it("copyText writes the clipboard, toasts and mirrors the text", async () => {
    ipc.mock();
    expect(await api.copyText("https://x/y.png", "Link copied")).toBe(true);
    expect(ipc.calls).toEqual([["plugin:clipboard-manager|write_text", { label: undefined, text: "https://x/y.png" }]]);
    expect(copied.text).toBe("https://x/y.png");
    expect(toasts.items.map((t) => t.text)).toEqual(["Link copied"]);
  });

  it("copyText reports a clipboard failure and leaves the mirror alone", async () => {
    mockIPC(() => {
      throw "clipboard unavailable";
    });
    expect(await api.copyText("nope")).toBe(false);
    expect(copied.text).toBe("");
    expect(toasts.items[0]).toMatchObject({ kind: "error", code: "internal" });
  });

  it("pickers return paths, or nothing when cancelled", async () => {
    let reply: unknown = ["/a.png", "/b.png"];
    ipc.mock(() => reply);
    expect(await api.pickFiles()).toEqual(["/a.png", "/b.png"]);
    expect(ipc.calls[0][0]).toBe("plugin:dialog|open");
    expect(ipc.calls[0][1]).toMatchObject({ options: { multiple: true, directory: false } });
    reply = null;
    expect(await api.pickFiles()).toEqual([]);
    reply = "/folder";
    expect(await api.pickFolder()).toBe("/folder");
    expect(ipc.calls[2][1]).toMatchObject({ options: { directory: true } });
  });

  it("builds thumbnail URLs for the custom protocol", () => {
    expect(api.thumbUrl("transfer", 12)).toBe("thumb://localhost/transfer/12");
    expect(api.thumbUrl("history", 3)).toBe("thumb://localhost/history/3");
  });
});
