// Keyboard shortcut mapping, including when typing in a field must win.
import { describe, expect, it } from "vitest";
import { shortcutFor } from "./shortcuts";

function key(init: KeyboardEventInit, target: EventTarget = document.body): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { bubbles: true, ...init });
  Object.defineProperty(event, "target", { value: target });
  return event;
}

describe("shortcutFor", () => {
  it("maps the documented shortcuts", () => {
    expect(shortcutFor(key({ key: "o", ctrlKey: true }))).toEqual({ kind: "pick-files" });
    expect(shortcutFor(key({ key: "O", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "pick-folder" });
    expect(shortcutFor(key({ key: "v", ctrlKey: true }))).toEqual({ kind: "paste" });
    expect(shortcutFor(key({ key: "3", code: "Digit3", ctrlKey: true }))).toEqual({ kind: "view", view: "requests" });
    expect(shortcutFor(key({ key: "5", ctrlKey: true }))).toEqual({ kind: "view", view: "settings" });
    expect(shortcutFor(key({ key: "f", ctrlKey: true }))).toEqual({ kind: "focus-search" });
    expect(shortcutFor(key({ key: "P", ctrlKey: true, shiftKey: true }))).toEqual({ kind: "pause-all" });
    expect(shortcutFor(key({ key: " " }))).toEqual({ kind: "toggle-selected" });
    expect(shortcutFor(key({ key: "Delete" }))).toEqual({ kind: "cancel-selected" });
    expect(shortcutFor(key({ key: "?", shiftKey: true }))).toEqual({ kind: "help" });
    expect(shortcutFor(key({ key: "6", ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key({ key: "a" }))).toBeNull();
  });

  it("leaves paste, Space, Delete and ? to text fields", () => {
    const input = document.createElement("input");
    expect(shortcutFor(key({ key: "v", ctrlKey: true }, input))).toBeNull();
    expect(shortcutFor(key({ key: " " }, input))).toBeNull();
    expect(shortcutFor(key({ key: "Delete" }, input))).toBeNull();
    expect(shortcutFor(key({ key: "?" }, document.createElement("textarea")))).toBeNull();
    // Ctrl shortcuts without a meaning in a field still work there.
    expect(shortcutFor(key({ key: "o", ctrlKey: true }, input))).toEqual({ kind: "pick-files" });
  });

  it("lets Space press a focused button instead of pausing", () => {
    expect(shortcutFor(key({ key: " " }, document.createElement("button")))).toBeNull();
    const checkbox = document.createElement("input");
    checkbox.type = "checkbox";
    expect(shortcutFor(key({ key: " " }, checkbox))).toBeNull();
  });
});
