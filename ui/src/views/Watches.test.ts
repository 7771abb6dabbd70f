// The Watches view: rows with state and waiting files in words, pause/resume, add (picker → form →
// add_watch), edit (update_watch), remove behind a confirm, and refresh on watches_changed.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WatchInput } from "../lib/bindings/WatchInput";
import type { WatchView } from "../lib/bindings/WatchView";
import { routeEvent } from "../lib/events";
import { app } from "../lib/stores/app.svelte";
import { watches } from "../lib/stores/watches.svelte";
import { profile } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import Watches from "./Watches.svelte";

function view(id: number, over: Partial<WatchView> = {}, watch: Partial<WatchView["watch"]> = {}): WatchView {
  return {
    watch: {
      id,
      folder: `/home/ada/watched-${id}`,
      profile: "default",
      bucket: "media",
      prefix: "",
      recursive: true,
      ignore: [],
      after_upload: "keep",
      paused: false,
      created_at: 0,
      ...watch,
    },
    running: true,
    error: null,
    pending: [],
    ...over,
  };
}

const ipc = new IpcRecorder();
let listed: WatchView[] = [];
let picked: string | null = null;
let failures: Record<string, { code: string; message: string }> = {};

beforeEach(() => {
  failures = {};
  picked = "/home/ada/Drop";
  listed = [
    view(1, {
      pending: [
        { path: "/home/ada/watched-1/big.mov", reason: { kind: "still_growing" } },
        { path: "/home/ada/watched-1/sub/locked.psd", reason: { kind: "cannot_open", message: "the file is in use" } },
        { path: "/home/ada/watched-1/x.tmp", reason: { kind: "ignored", pattern: "*.tmp" } },
      ],
    }),
    view(2, {}, { paused: true, prefix: "phone/", after_upload: "move", recursive: false }),
    view(3, { running: false, error: "the folder /home/ada/watched-3 does not exist [source_missing]" }),
  ];
  watches.reset();
  app.profiles = [profile(), profile({ name: "work", bucket: "team", prefix: "in", is_default: false })];
  ipc.mock((command, args) => {
    const failure = failures[command];
    if (failure) throw failure;
    const a = args as { id: number; paused: boolean; input: WatchInput };
    switch (command) {
      case "list_watches":
        return listed;
      case "plugin:dialog|open":
        return picked;
      case "set_watch_paused": {
        const found = listed.find((v) => v.watch.id === a.id) ?? view(a.id);
        return { ...found, watch: { ...found.watch, paused: a.paused } };
      }
      case "add_watch":
        return view(9, {}, { ...a.input });
      case "update_watch":
        return view(a.id, {}, { ...a.input });
      default:
        return null;
    }
  });
});
afterEach(() => clearMocks());

function row(id: number): HTMLElement {
  const found = screen.getAllByTestId("watch-row").find((el) => el.dataset.watchId === String(id));
  if (!found) throw new Error(`no watch row ${id}`);
  return found;
}

describe("Watches view: the list", () => {
  it("shows each watch's folder, destination, options and state", async () => {
    render(Watches);
    await settle();
    expect(screen.getAllByTestId("watch-row").map((r) => [r.dataset.watchId, r.dataset.paused])).toEqual([
      ["1", "false"],
      ["2", "true"],
      ["3", "false"],
    ]);
    expect(within(row(1)).getByTestId("watch-status").textContent?.trim()).toBe("Watching");
    expect(row(1).textContent).toContain("/home/ada/watched-1");
    expect(row(1).textContent).toContain("media/");
    expect(row(1).textContent).toContain("Subfolders included");
    expect(within(row(2)).getByTestId("watch-status").textContent?.trim()).toBe("Paused");
    expect(row(2).textContent).toContain("media/phone/");
    expect(row(2).textContent).toContain("This folder only");
    expect(row(2).textContent).toContain("Move it into .uploaded/");
    expect(within(row(3)).getByTestId("watch-status").textContent?.trim()).toBe("Error");
    expect(within(row(3)).getByTestId("error-code").textContent).toBe("source_missing");
    expect(within(row(3)).getByTestId("error-message").textContent).toContain("The local file is gone");
  });

  it("lists the waiting files with their reasons in words", async () => {
    render(Watches);
    await settle();
    const pending = within(row(1)).getAllByTestId("watch-pending");
    expect(pending.map((p) => p.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "big.mov Still growing: another program is still writing it",
      "sub/locked.psd Cannot open yet: the file is in use",
      "x.tmp Ignored by pattern *.tmp: it will not be uploaded",
    ]);
    expect(within(row(2)).queryAllByTestId("watch-pending")).toHaveLength(0);
  });

  it("offers pause on a running watch and resume on a paused one, with the id", async () => {
    render(Watches);
    await settle();
    expect(within(row(1)).queryByTestId("watch-resume")).toBeNull();
    expect(within(row(2)).queryByTestId("watch-pause")).toBeNull();
    await fireEvent.click(within(row(1)).getByTestId("watch-pause"));
    await settle();
    expect(ipc.args("set_watch_paused")).toEqual([{ id: 1, paused: true }]);
    expect(row(1).dataset.paused).toBe("true");
    await fireEvent.click(within(row(2)).getByTestId("watch-resume"));
    await settle();
    expect(ipc.args("set_watch_paused")[1]).toEqual({ id: 2, paused: false });
    expect(row(2).dataset.paused).toBe("false");
  });

  it("lists again when the shell says the watches changed", async () => {
    render(Watches);
    await settle();
    listed = [view(1, { pending: [{ path: "/home/ada/watched-1/new.jpg", reason: { kind: "settling" } }] })];
    routeEvent({ type: "watches_changed" });
    await settle();
    expect(ipc.args("list_watches")).toHaveLength(2);
    expect(screen.getAllByTestId("watch-row")).toHaveLength(1);
    expect(within(row(1)).getByTestId("watch-pending").textContent).toContain("Settling");
  });
});

describe("Watches view: add, edit, remove", () => {
  it("picks a folder, then adds it with the form's destination, ignores and after-upload", async () => {
    render(Watches);
    await settle();
    await fireEvent.click(screen.getByTestId("watch-add"));
    await settle();
    expect(ipc.args("plugin:dialog|open")[0]).toMatchObject({ options: { directory: true, multiple: false } });
    const form = screen.getByTestId("watch-form");
    expect(within(form).getByTestId("watch-folder").textContent).toBe("/home/ada/Drop");
    // The default profile's destination to start with; another profile brings its own.
    expect((within(form).getByTestId("watch-bucket") as HTMLInputElement).value).toBe("media");
    await fireEvent.change(within(form).getByTestId("watch-profile"), { target: { value: "work" } });
    expect((within(form).getByTestId("watch-bucket") as HTMLInputElement).value).toBe("team");
    expect((within(form).getByTestId("watch-prefix") as HTMLInputElement).value).toBe("in");
    await fireEvent.input(within(form).getByTestId("watch-prefix"), { target: { value: "/drops/" } });
    await fireEvent.input(within(form).getByTestId("watch-ignore"), { target: { value: "*.tmp\n\n  *.part \n" } });
    await fireEvent.click(within(form).getByTestId("watch-recursive"));
    await fireEvent.click(within(form).getByTestId("watch-after-move"));
    await fireEvent.click(within(form).getByTestId("watch-save"));
    await settle();
    expect(ipc.args("add_watch")).toEqual([
      {
        input: {
          folder: "/home/ada/Drop",
          profile: "work",
          bucket: "team",
          prefix: "drops",
          recursive: false,
          ignore: ["*.tmp", "*.part"],
          after_upload: "move",
        },
      },
    ]);
    expect(screen.queryByTestId("watch-form")).toBeNull();
    expect(row(9).textContent).toContain("/home/ada/Drop");
  });

  it("does nothing when the folder picker is cancelled", async () => {
    picked = null;
    render(Watches);
    await settle();
    await fireEvent.click(screen.getByTestId("watch-add"));
    await settle();
    expect(screen.queryByTestId("watch-form")).toBeNull();
  });

  it("checks the form, and shows the shell's refusal in the dialog", async () => {
    failures.add_watch = { code: "not_found", message: "the folder /home/ada/Drop does not exist" };
    render(Watches);
    await settle();
    await fireEvent.click(screen.getByTestId("watch-add"));
    await settle();
    const form = screen.getByTestId("watch-form");
    await fireEvent.input(within(form).getByTestId("watch-bucket"), { target: { value: "" } });
    await fireEvent.click(within(form).getByTestId("watch-save"));
    await settle();
    expect(ipc.args("add_watch")).toHaveLength(0);
    expect(form.textContent).toContain("Enter the bucket the files go to.");
    await fireEvent.input(within(form).getByTestId("watch-bucket"), { target: { value: "media" } });
    await fireEvent.click(within(form).getByTestId("watch-save"));
    await settle();
    expect(ipc.args("add_watch")).toHaveLength(1);
    expect(within(form).getByTestId("error-code").textContent).toBe("not_found");
    expect(within(form).getByTestId("error-message").textContent).toContain("The folder /home/ada/Drop does not exist.");
  });

  it("refuses a bucket name the server reserves without sending", async () => {
    render(Watches);
    await settle();
    await fireEvent.click(screen.getByTestId("watch-add"));
    await settle();
    const form = screen.getByTestId("watch-form");
    await fireEvent.input(within(form).getByTestId("watch-bucket"), { target: { value: "api" } });
    await fireEvent.click(within(form).getByTestId("watch-save"));
    await settle();
    expect(ipc.args("add_watch")).toHaveLength(0);
    expect(within(form).getByTestId("watch-bucket").getAttribute("aria-invalid")).toBe("true");
    expect(form.textContent).toContain("That name is reserved by the server.");
  });

  it("edits a watch with update_watch and its id", async () => {
    render(Watches);
    await settle();
    await fireEvent.click(within(row(2)).getByTestId("watch-edit"));
    const form = screen.getByTestId("watch-form");
    expect((within(form).getByTestId("watch-prefix") as HTMLInputElement).value).toBe("phone/");
    expect((within(form).getByTestId("watch-after-move") as HTMLInputElement).checked).toBe(true);
    await fireEvent.input(within(form).getByTestId("watch-prefix"), { target: { value: "camera" } });
    await fireEvent.click(within(form).getByTestId("watch-save"));
    await settle();
    expect(ipc.args("update_watch")).toEqual([
      {
        id: 2,
        input: {
          folder: "/home/ada/watched-2",
          profile: "default",
          bucket: "media",
          prefix: "camera",
          recursive: false,
          ignore: [],
          after_upload: "move",
        },
      },
    ]);
    expect(row(2).textContent).toContain("media/camera/");
  });

  it("removes a watch only after the confirm", async () => {
    render(Watches);
    await settle();
    await fireEvent.click(within(row(3)).getByTestId("watch-remove"));
    expect(ipc.args("remove_watch")).toHaveLength(0);
    expect(screen.getByRole("alertdialog").textContent).toContain("/home/ada/watched-3");
    await fireEvent.click(screen.getByTestId("confirm-delete"));
    await settle();
    expect(ipc.args("remove_watch")).toEqual([{ id: 3 }]);
    expect(screen.getAllByTestId("watch-row").map((r) => r.dataset.watchId)).toEqual(["1", "2"]);
  });
});
