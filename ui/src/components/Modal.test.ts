// The shared modal frame, through the dialogs built on it: where focus starts and returns, Tab kept
// inside, Esc and the backdrop closing it (never while busy), and the names screen readers get.
import { fireEvent, render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import ConfirmDialog from "./ConfirmDialog.svelte";
import HelpOverlay from "./HelpOverlay.svelte";
import Modal from "./Modal.svelte";

const form = createRawSnippet(() => ({
  render: () => `<form><input data-testid="first" data-autofocus /><button type="button" data-testid="last">Go</button></form>`,
}));

let opener: HTMLButtonElement;

beforeEach(() => {
  opener = document.createElement("button");
  document.body.append(opener);
  opener.focus();
});
afterEach(() => opener.remove());

describe("Modal", () => {
  it("focuses the data-autofocus element, keeps Tab inside, and gives focus back on close", async () => {
    const { unmount } = render(Modal, { props: { title: "Edit", onclose: vi.fn(), children: form } });
    const first = screen.getByTestId("first");
    const last = screen.getByTestId("last");
    expect(document.activeElement).toBe(first);
    last.focus();
    await fireEvent.keyDown(last, { key: "Tab" });
    expect(document.activeElement).toBe(first);
    await fireEvent.keyDown(first, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(last);
    unmount();
    expect(document.activeElement).toBe(opener);
  });

  it("is a modal dialog named by its title", () => {
    render(Modal, { props: { title: "Edit the watch", onclose: vi.fn(), testid: "watch-form", children: form } });
    const dialog = screen.getByRole("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(dialog.dataset.testid).toBe("watch-form");
    expect(document.getElementById(dialog.getAttribute("aria-labelledby")!)?.textContent).toBe("Edit the watch");
  });

  it("closes on Esc without the app's shortcuts seeing it, but not while busy", async () => {
    const onclose = vi.fn();
    const onWindowKey = vi.fn();
    window.addEventListener("keydown", onWindowKey);
    try {
      const { rerender } = render(Modal, { props: { title: "Edit", onclose, busy: true, children: form } });
      await fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
      expect(onclose).not.toHaveBeenCalled();
      await rerender({ busy: false });
      await fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
      expect(onclose).toHaveBeenCalledOnce();
      expect(onWindowKey).not.toHaveBeenCalled();
    } finally {
      window.removeEventListener("keydown", onWindowKey);
    }
  });

  it("closes on a click outside the box only when allowed", async () => {
    const onclose = vi.fn();
    const { rerender } = render(Modal, { props: { title: "Edit", onclose, backdropCloses: false, children: form } });
    const backdrop = screen.getByRole("dialog").parentElement!;
    await fireEvent.click(backdrop);
    expect(onclose).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("last"));
    expect(onclose).not.toHaveBeenCalled();
    await rerender({ backdropCloses: true });
    await fireEvent.click(backdrop);
    expect(onclose).toHaveBeenCalledOnce();
  });
});

describe("dialogs built on it", () => {
  it("ConfirmDialog is an alert dialog described by its question, focus on Cancel", async () => {
    const onconfirm = vi.fn();
    const oncancel = vi.fn();
    const question = createRawSnippet(() => ({ render: () => `<p>Delete photo.jpg?</p>` }));
    render(ConfirmDialog, { props: { title: "Delete?", confirmLabel: "Delete", onconfirm, oncancel, children: question } });
    const dialog = screen.getByRole("alertdialog");
    expect(document.getElementById(dialog.getAttribute("aria-describedby")!)?.textContent).toContain("Delete photo.jpg?");
    expect(document.activeElement?.textContent?.trim()).toBe("Cancel");
    await fireEvent.click(screen.getByTestId("confirm-delete"));
    expect(onconfirm).toHaveBeenCalledOnce();
    await fireEvent.keyDown(dialog, { key: "Escape" });
    expect(oncancel).toHaveBeenCalledOnce();
  });

  it("HelpOverlay keeps its heading id and closes from its Close button", async () => {
    const onclose = vi.fn();
    render(HelpOverlay, { props: { onclose } });
    const dialog = screen.getByRole("dialog");
    expect(dialog.getAttribute("aria-labelledby")).toBe("help-title");
    expect(document.getElementById("help-title")?.textContent).toBe("Keyboard shortcuts");
    // Nothing in it asks for focus: the box itself takes it, so Esc works at once.
    expect(document.activeElement).toBe(dialog);
    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(onclose).toHaveBeenCalledOnce();
  });
});
