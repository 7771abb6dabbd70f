// Settings view: storing a key clears the field, testing a profile, validation before save_settings.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { app } from "../lib/stores/app.svelte";
import { target } from "../lib/stores/target.svelte";
import { profile, settings } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import Settings from "./Settings.svelte";

const ipc = new IpcRecorder();

beforeEach(() => {
  app.profiles = [profile({ has_key: false })];
  app.settings = settings();
  ipc.mock((command, args) => {
    switch (command) {
      case "set_api_key":
        return profile({ has_key: true });
      case "test_profile":
        return { endpoint: "http://localhost:8080", latency_ms: 7.25 };
      case "save_settings":
        return (args as { settings: unknown }).settings;
      case "list_profiles":
        return [profile({ name: "work", bucket: "team", is_default: true })];
      default:
        return null;
    }
  });
});
afterEach(() => clearMocks());

describe("Settings profiles", () => {
  it("stores a key, clears the field and shows the key as stored", async () => {
    render(Settings);
    const row = screen.getByTestId("profile-row");
    expect(row.dataset.profile).toBe("default");
    expect(row.dataset.hasKey).toBe("false");
    const input = within(row).getByTestId("profile-key-input") as HTMLInputElement;
    expect(input.type).toBe("password");
    await fireEvent.input(input, { target: { value: "sk_new" } });
    await fireEvent.click(within(row).getByTestId("profile-key-save"));
    await settle();
    expect(ipc.calls).toEqual([["set_api_key", { profile: "default", key: "sk_new" }]]);
    expect(input.value).toBe("");
    expect(screen.getByTestId("profile-row").dataset.hasKey).toBe("true");
  });

  it("tests the connection", async () => {
    render(Settings);
    await fireEvent.click(screen.getByTestId("profile-test"));
    await settle();
    expect(ipc.calls).toEqual([["test_profile", { name: "default" }]]);
    expect(screen.getByRole("status").textContent).toContain("in 7 ms.");
  });

  it("removes a profile, then shows the shell's list, where another profile is now the default", async () => {
    app.profiles = [profile(), profile({ name: "work", bucket: "team", is_default: false })];
    target.useProfile(app.profiles[0]);
    render(Settings);
    const row = screen.getAllByTestId("profile-row").find((r) => r.dataset.profile === "default")!;
    await fireEvent.click(within(row).getByRole("button", { name: "Remove profile default" }));
    await fireEvent.click(within(within(row).getByRole("alertdialog")).getByRole("button", { name: "Remove" }));
    await settle();
    expect(ipc.calls).toEqual([["remove_profile", { name: "default" }], ["list_profiles", {}]]);
    expect(app.profiles).toEqual([profile({ name: "work", bucket: "team", is_default: true })]);
    expect(screen.getAllByTestId("profile-row").map((r) => r.dataset.profile)).toEqual(["work"]);
    expect(target.profile).toBe("work");
    expect(target.bucket).toBe("team");
  });
});

describe("Settings preferences", () => {
  it("refuses invalid values without calling save_settings", async () => {
    render(Settings);
    await fireEvent.input(screen.getByTestId("settings-concurrency"), { target: { value: "40" } });
    await fireEvent.click(screen.getByTestId("settings-save"));
    await settle();
    expect(ipc.calls).toEqual([]);
    expect(screen.getByTestId("settings-concurrency").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText(/A whole number from 1 to 16/)).toBeTruthy();
  });

  it("saves every field in bytes and seconds", async () => {
    render(Settings);
    await fireEvent.input(screen.getByTestId("settings-concurrency"), { target: { value: "6" } });
    await fireEvent.input(screen.getByTestId("settings-bandwidth"), { target: { value: "2" } });
    await fireEvent.change(screen.getByTestId("settings-bandwidth-unit"), { target: { value: "MiB/s" } });
    await fireEvent.input(screen.getByTestId("settings-link-expiry"), { target: { value: "3" } });
    await fireEvent.change(screen.getByTestId("settings-link-expiry-unit"), { target: { value: "hours" } });
    await fireEvent.change(screen.getByTestId("settings-theme"), { target: { value: "dark" } });
    await fireEvent.change(screen.getByTestId("settings-auto-copy"), { target: { value: "url" } });
    await fireEvent.click(screen.getByTestId("settings-autostart"));
    await fireEvent.click(screen.getByTestId("settings-save"));
    await settle();
    expect(ipc.calls).toEqual([
      [
        "save_settings",
        {
          settings: {
            concurrency: 6,
            bandwidth_limit: 2 * 1024 * 1024,
            chunk_size: 8 * 1024 * 1024,
            default_link_expiry: 3 * 3600,
            auto_copy: "url",
            notifications: true,
            start_at_login: true,
            theme: "dark",
            duplicates: "same_destination",
          },
        },
      ],
    ]);
    expect(app.settings?.theme).toBe("dark");
  });
});
