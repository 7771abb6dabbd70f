// First-run setup: one-click local server, save_profile → set_api_key → test_profile, key cleared, errors in words.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { toasts } from "../lib/stores/toasts.svelte";
import { profile } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import Setup from "./Setup.svelte";

const ipc = new IpcRecorder();
let failTest = false;

beforeEach(() => {
  failTest = false;
  toasts.clear();
  ipc.mock((command) => {
    switch (command) {
      case "save_profile":
        return profile({ has_key: false });
      case "set_api_key":
        return profile({ has_key: true });
      case "test_profile":
        if (failTest) throw { code: "network", message: "network error talking to http://127.0.0.1:8080: connection refused" };
        return { endpoint: "http://127.0.0.1:8080", latency_ms: 12.345678 };
      default:
        return null;
    }
  });
});
afterEach(() => clearMocks());

describe("Setup", () => {
  it("uses the local server, then saves, stores the key, tests, and clears the key field", async () => {
    const ondone = vi.fn();
    render(Setup, { props: { localServer: "http://127.0.0.1:8080", ondone } });
    await fireEvent.click(screen.getByTestId("setup-use-local"));
    expect((screen.getByTestId("setup-endpoint") as HTMLInputElement).value).toBe("http://127.0.0.1:8080");
    await fireEvent.input(screen.getByTestId("setup-bucket"), { target: { value: "media" } });
    const key = screen.getByTestId("setup-key") as HTMLInputElement;
    expect(key.type).toBe("password");
    await fireEvent.input(key, { target: { value: "sk_live_123" } });
    await fireEvent.click(screen.getByTestId("setup-submit"));
    await settle();

    expect(ipc.names()).toEqual(["save_profile", "set_api_key", "test_profile"]);
    expect(ipc.calls[0][1]).toEqual({
      input: { name: "default", endpoint: "http://127.0.0.1:8080", bucket: "media", prefix: "", make_default: true },
    });
    expect(ipc.calls[1][1]).toEqual({ profile: "default", key: "sk_live_123" });
    expect(ipc.calls[2][1]).toEqual({ name: "default" });
    expect(key.value).toBe("");
    expect(ondone).toHaveBeenCalledOnce();
    // The latency arrives as a float; a person reads whole milliseconds.
    expect(toasts.items.map((t) => t.text)).toEqual(["Connected to http://127.0.0.1:8080 in 12 ms."]);
  });

  it("shows a failed connection test in words with its code, key already cleared", async () => {
    failTest = true;
    const ondone = vi.fn();
    render(Setup, { props: { localServer: null, ondone } });
    expect(screen.queryByTestId("setup-use-local")).toBeNull();
    await fireEvent.input(screen.getByTestId("setup-endpoint"), { target: { value: "http://127.0.0.1:8080" } });
    await fireEvent.input(screen.getByTestId("setup-bucket"), { target: { value: "media" } });
    await fireEvent.input(screen.getByTestId("setup-key"), { target: { value: "k" } });
    await fireEvent.click(screen.getByTestId("setup-submit"));
    await settle();

    expect(screen.getByTestId("error-message").textContent).toContain("Can't reach the server at http://127.0.0.1:8080");
    expect(screen.getByTestId("error-code").textContent).toBe("network");
    expect((screen.getByTestId("setup-key") as HTMLInputElement).value).toBe("");
    expect(ondone).not.toHaveBeenCalled();
  });

  it("asks for what is missing before calling anything", async () => {
    render(Setup, { props: { localServer: null, ondone: vi.fn() } });
    await fireEvent.input(screen.getByTestId("setup-endpoint"), { target: { value: "not a url" } });
    await fireEvent.click(screen.getByTestId("setup-submit"));
    await settle();
    expect(ipc.calls).toEqual([]);
    expect(screen.getByText(/http:\/\/ or https:\/\/ address/)).toBeTruthy();
    expect(screen.getByText("Enter the bucket uploads go to.")).toBeTruthy();
    expect(screen.getByText("Paste the API key the server gave you.")).toBeTruthy();
  });
});
