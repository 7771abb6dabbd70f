// Watches: waiting reasons and states in words, the add/edit form checked into a WatchInput.
import { describe, expect, it } from "vitest";
import type { Watch } from "../bindings/Watch";
import type { WatchView } from "../bindings/WatchView";
import { profile } from "../../test/fixtures";
import {
  checkWatch,
  formFromWatch,
  newWatchForm,
  parseIgnore,
  relativePath,
  splitWatchError,
  waitReasonText,
  watchStatus,
} from "./watches.svelte";

const watch: Watch = {
  id: 7,
  folder: "/home/ada/Screenshots",
  profile: "default",
  bucket: "media",
  prefix: "shots",
  recursive: false,
  ignore: ["*.tmp", "drafts/**"],
  after_upload: "move",
  paused: false,
  created_at: 0,
};

describe("waitReasonText", () => {
  it("says each reason in words", () => {
    expect(waitReasonText({ kind: "settling" })).toMatch(/^Settling/);
    expect(waitReasonText({ kind: "still_growing" })).toMatch(/^Still growing/);
    expect(waitReasonText({ kind: "cannot_open", message: "permission denied" })).toBe("Cannot open yet: permission denied");
    expect(waitReasonText({ kind: "ignored", pattern: "*.tmp" })).toMatch(/^Ignored by pattern \*\.tmp/);
    expect(waitReasonText({ kind: "comparing" })).toBe("Comparing with an earlier upload of the same file");
    expect(waitReasonText({ kind: "paused" })).toMatch(/^Paused/);
  });
});

describe("watchStatus", () => {
  const view = (over: Partial<WatchView>, paused = false): WatchView => ({
    watch: { ...watch, paused },
    running: true,
    error: null,
    pending: [],
    ...over,
  });

  it("is watching, paused, not running, or an error with its code", () => {
    expect(watchStatus(view({})).kind).toBe("watching");
    expect(watchStatus(view({}, true)).kind).toBe("paused");
    expect(watchStatus(view({ running: false })).kind).toBe("starting");
    expect(watchStatus(view({ running: false, error: "the folder /x does not exist [source_missing]" }))).toEqual({
      kind: "error",
      label: "Error",
      code: "source_missing",
      message: "the folder /x does not exist",
    });
  });

  it("keeps an error without a code whole", () => {
    expect(splitWatchError("inotify limit reached")).toEqual({ code: "watch_failed", message: "inotify limit reached" });
  });
});

describe("relativePath", () => {
  it("shows waiting files inside the folder relative to it", () => {
    expect(relativePath("/home/ada/Screenshots/", "/home/ada/Screenshots/2024/a.png")).toBe("2024/a.png");
    expect(relativePath("C:\\Shots", "C:\\Shots\\a.png")).toBe("a.png");
    expect(relativePath("/home/ada/Shots", "/home/ada/Shots2/a.png")).toBe("/home/ada/Shots2/a.png");
  });
});

describe("the watch form", () => {
  it("starts from the profile's destination", () => {
    expect(newWatchForm("/d", profile({ bucket: "media", prefix: "up" }))).toEqual({
      folder: "/d",
      profile: "default",
      bucket: "media",
      prefix: "up",
      recursive: true,
      ignore: "",
      after_upload: "keep",
    });
  });

  it("round-trips a watch into the input update_watch takes", () => {
    const check = checkWatch(formFromWatch(watch));
    expect(check).toEqual({
      ok: true,
      input: {
        folder: "/home/ada/Screenshots",
        profile: "default",
        bucket: "media",
        prefix: "shots",
        recursive: false,
        ignore: ["*.tmp", "drafts/**"],
        after_upload: "move",
      },
    });
  });

  it("takes one ignore pattern per line, trimmed, blanks and repeats dropped", () => {
    expect(parseIgnore("*.tmp\r\n\n  drafts/**  \n*.tmp\n")).toEqual(["*.tmp", "drafts/**"]);
  });

  it("trims slashes around the prefix and refuses a missing folder, profile or bucket", () => {
    const ok = checkWatch({ ...formFromWatch(watch), prefix: " /a/b/ " });
    expect(ok.ok && ok.input.prefix).toBe("a/b");
    expect(checkWatch({ ...formFromWatch(watch), folder: "", profile: "", bucket: "" })).toEqual({
      ok: false,
      errors: {
        folder: "Choose a folder to watch.",
        profile: "Choose a profile: add one in Settings first.",
        bucket: "Enter the bucket the files go to.",
      },
    });
  });

  it("refuses a bucket name the server reserves", () => {
    expect(checkWatch({ ...formFromWatch(watch), bucket: "api" })).toEqual({
      ok: false,
      errors: { bucket: "That name is reserved by the server." },
    });
  });
});
