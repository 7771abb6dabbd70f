// The Requests view: the checked form → request_upload's exact input, the result with its copy buttons,
// server errors in words, and this run's requests as waiting / arrived / expired.
import { clearMocks } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UploadRequest } from "../lib/bindings/UploadRequest";
import type { UploadRequestInput } from "../lib/bindings/UploadRequestInput";
import { routeEvent } from "../lib/events";
import { app } from "../lib/stores/app.svelte";
import { copied } from "../lib/stores/copied.svelte";
import { history } from "../lib/stores/history.svelte";
import { requests } from "../lib/stores/requests.svelte";
import { fileObject, profile, settings } from "../test/fixtures";
import { IpcRecorder, settle } from "../test/ipc";
import Requests from "./Requests.svelte";

const TOKEN_URL = "http://localhost:8080/";
const PUT_URL = "http://localhost:8080/media/incoming/report.pdf?X-Expires=1&X-Signature=abc";

function made(input: UploadRequestInput, id = 1): UploadRequest {
  const token = input.method === "token" ? "tok_123" : null;
  return {
    id,
    method: input.method,
    bucket: input.bucket ?? "media",
    path: input.path,
    url: input.method === "token" ? TOKEN_URL : PUT_URL,
    token,
    curl:
      input.method === "token"
        ? `curl -sS '${TOKEN_URL}' -H 'Authorization: Bearer tok_123' -F file=@FILE`
        : `curl -sS -T FILE '${PUT_URL}'`,
    expires_at: Date.now() + input.expires_in * 1000,
    arrived: null,
  };
}

const ipc = new IpcRecorder();
let listed: UploadRequest[] = [];
let failure: { code: string; message: string } | null = null;

beforeEach(() => {
  listed = [];
  failure = null;
  requests.reset();
  history.reset();
  app.profiles = [profile(), profile({ name: "work", bucket: null, is_default: false })];
  app.settings = null;
  app.view = "requests";
  copied.text = "";
  ipc.mock((command, args) => {
    switch (command) {
      case "request_upload":
        if (failure) throw failure;
        return made((args as { input: UploadRequestInput }).input);
      case "list_requests":
        return listed;
      case "search_history":
        return { entries: [], next_cursor: null };
      default:
        return null;
    }
  });
});
afterEach(() => clearMocks());

async function fill(testid: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function choose(testid: string, value: string): Promise<void> {
  await fireEvent.change(screen.getByTestId(testid), { target: { value } });
}

describe("Requests view: making a request", () => {
  it("sends the checked input and shows the URL, token and curl line", async () => {
    render(Requests);
    await settle();
    await fill("request-bucket", "shared");
    await fill("request-path", "/incoming/report.pdf");
    await choose("request-expiry", "3600");
    await choose("request-method", "token");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(ipc.args("request_upload")).toEqual([
      { input: { profile: null, bucket: "shared", path: "incoming/report.pdf", expires_in: 3600, method: "token" } },
    ]);
    expect(screen.getByTestId("request-url").textContent).toBe(TOKEN_URL);
    expect(screen.getByTestId("request-token").textContent).toBe("tok_123");
    expect(screen.getByTestId("request-curl").textContent).toBe(
      `curl -sS '${TOKEN_URL}' -H 'Authorization: Bearer tok_123' -F file=@FILE`,
    );

    await fireEvent.click(screen.getByTestId("request-copy"));
    await settle();
    expect(copied.text).toBe(TOKEN_URL);
    await fireEvent.click(screen.getByTestId("request-copy-token"));
    await settle();
    expect(copied.text).toBe("tok_123");
    await fireEvent.click(screen.getByTestId("request-copy-curl"));
    await settle();
    expect(copied.text).toContain("Authorization: Bearer tok_123");
    // The new request is in the list at once.
    expect(screen.getAllByTestId("request-row")).toHaveLength(1);
  });

  it("has no token for a signed PUT URL, and sends the chosen profile", async () => {
    render(Requests);
    await settle();
    await choose("request-profile", "work");
    await fill("request-bucket", "team-drop");
    await fill("request-path", "in/a b.png");
    await choose("request-method", "signed_put");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(ipc.args("request_upload")).toEqual([
      { input: { profile: "work", bucket: "team-drop", path: "in/a b.png", expires_in: 86400, method: "signed_put" } },
    ]);
    expect(screen.getByTestId("request-url").textContent).toBe(PUT_URL);
    expect(screen.queryByTestId("request-token")).toBeNull();
    expect(screen.getByTestId("request-curl").textContent).toBe(`curl -sS -T FILE '${PUT_URL}'`);
  });

  it("turns a custom expiry into seconds", async () => {
    render(Requests);
    await settle();
    await fill("request-path", "a.txt");
    await choose("request-expiry", "custom");
    await fill("request-expiry-custom", "2");
    await choose("request-expiry-unit", "hours");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect((ipc.args("request_upload")[0].input as UploadRequestInput).expires_in).toBe(7200);
  });

  it("refuses an empty path, a bucket-less profile and a zero expiry without sending", async () => {
    render(Requests);
    await settle();
    await choose("request-profile", "work");
    await choose("request-expiry", "custom");
    await fill("request-expiry-custom", "0");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(ipc.args("request_upload")).toHaveLength(0);
    expect(screen.getByTestId("request-path").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("request-bucket").getAttribute("aria-invalid")).toBe("true");
    const view = screen.getByTestId("view-requests");
    expect(view.textContent).toContain("Enter the path the file should land at");
    expect(view.textContent).toContain("This profile has no default bucket: enter one.");
    expect(view.textContent).toContain("The expiry must be more than zero.");
  });

  it("refuses a path that names a folder", async () => {
    render(Requests);
    await settle();
    await fill("request-path", "incoming/");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(ipc.args("request_upload")).toHaveLength(0);
    expect(screen.getByTestId("view-requests").textContent).toContain("add the file's name");
  });

  it("refuses a bucket name the server reserves without sending", async () => {
    render(Requests);
    await settle();
    await fill("request-bucket", "uploads");
    await fill("request-path", "a.txt");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(ipc.args("request_upload")).toHaveLength(0);
    expect(screen.getByTestId("request-bucket").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("view-requests").textContent).toContain("That name is reserved by the server.");
  });

  it("shows a server error in words with its code", async () => {
    failure = { code: "forbidden", message: "this key may not create tokens" };
    render(Requests);
    await settle();
    await fill("request-path", "a.txt");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect(screen.getByTestId("error-code").textContent).toBe("forbidden");
    expect(screen.getByTestId("error-message").textContent).toContain("not allowed to do this");
    expect(screen.queryByTestId("request-url")).toBeNull();
  });

  it("starts from the default link expiry in the settings", async () => {
    app.settings = settings({ default_link_expiry: 7200 });
    render(Requests);
    await settle();
    const select = screen.getByTestId("request-expiry") as HTMLSelectElement;
    expect(select.value).toBe("7200");
    expect(select.selectedOptions[0].textContent).toContain("2 hours (default)");
    await fill("request-path", "a.txt");
    await fireEvent.click(screen.getByTestId("request-submit"));
    await settle();
    expect((ipc.args("request_upload")[0].input as UploadRequestInput).expires_in).toBe(7200);
  });
});

describe("Requests view: the list", () => {
  const now = Date.now();
  const waiting: UploadRequest = { ...made({ profile: null, bucket: "media", path: "w.txt", expires_in: 600, method: "token" }, 3) };
  const arrived: UploadRequest = {
    ...made({ profile: null, bucket: "media", path: "in/cat.png", expires_in: 600, method: "signed_put" }, 2),
    arrived: {
      id: 40,
      profile: "default",
      source: null,
      sha256: "",
      verified: true,
      uploaded_at: now - 30_000,
      file: fileObject({ path: "in/cat.png", filesize: 2048, width: 640, height: 480 }),
    },
  };
  const expired: UploadRequest = { ...made({ profile: null, bucket: "media", path: "old.txt", expires_in: 1, method: "token" }, 1), expires_at: now - 3_600_000 };

  it("shows each request's state: time left, the arrived file, expired", async () => {
    listed = [waiting, arrived, expired];
    render(Requests);
    await settle();
    const rows = screen.getAllByTestId("request-row");
    expect(rows.map((r) => [r.dataset.state, r.dataset.arrived])).toEqual([
      ["waiting", "false"],
      ["arrived", "true"],
      ["expired", "false"],
    ]);
    expect(within(rows[0]).getByTestId("request-time-left").textContent).toMatch(/^\s*(9 min \d+ s|10 min) left\s*$/);
    expect(within(rows[1]).getByTestId("request-arrived-name").textContent).toBe("cat.png");
    expect(within(rows[1]).getByTestId("request-arrived-dimensions").textContent).toBe("640×480");
    expect(rows[1].textContent).toContain("2 KiB");
    expect(rows[2].textContent).toContain("Expired");
  });

  it("links an arrived file to the History, searched by its name", async () => {
    listed = [arrived];
    render(Requests);
    await settle();
    await fireEvent.click(screen.getByTestId("request-show-history"));
    expect(app.view).toBe("history");
    expect(history.filters.text).toBe("cat.png");
  });

  it("lists again when the shell says the requests changed", async () => {
    render(Requests);
    await settle();
    expect(ipc.args("list_requests")).toHaveLength(1);
    listed = [waiting];
    routeEvent({ type: "requests_changed" });
    await settle();
    expect(ipc.args("list_requests")).toHaveLength(2);
    expect(screen.getAllByTestId("request-row")).toHaveLength(1);
  });
});
