// Upload requests: the form checked before sending (path, bucket, expiry), and each request's state.
import { describe, expect, it } from "vitest";
import type { UploadRequest } from "../bindings/UploadRequest";
import { CUSTOM_EXPIRY, checkRequest, emptyForm, normalizePath, pathProblem, requestState } from "./requests.svelte";

describe("paths", () => {
  it("drops leading slashes and surrounding blanks", () => {
    expect(normalizePath("  //incoming/report.pdf ")).toBe("incoming/report.pdf");
  });

  it("explains each path it refuses", () => {
    expect(pathProblem("")).toMatch(/Enter the path/);
    expect(pathProblem("   /  ")).toMatch(/Enter the path/);
    expect(pathProblem("incoming/")).toMatch(/ends with “\/”/);
    expect(pathProblem("a//b.txt")).toMatch(/empty folder name/);
    expect(pathProblem("a/../b.txt")).toMatch(/“\.” and “\.\.”/);
    expect(pathProblem("a\\b.txt")).toMatch(/not “\\”/);
    expect(pathProblem("a\tb.txt")).toMatch(/control character/);
    expect(pathProblem("x".repeat(1025))).toMatch(/1024 bytes/);
    expect(pathProblem("/incoming/report.pdf")).toBeNull();
    expect(pathProblem("ünïcode/фото.jpg")).toBeNull();
  });
});

describe("checkRequest", () => {
  it("gives exactly what request_upload takes", () => {
    const form = { ...emptyForm("3600"), path: "/incoming/report.pdf", method: "signed_put" as const };
    expect(checkRequest(form, "media")).toEqual({
      ok: true,
      input: { profile: null, bucket: null, path: "incoming/report.pdf", expires_in: 3600, method: "signed_put" },
    });
    const named = { ...emptyForm("604800"), profile: "work", bucket: " shared-files ", path: "a.txt" };
    expect(checkRequest(named, null)).toEqual({
      ok: true,
      input: { profile: "work", bucket: "shared-files", path: "a.txt", expires_in: 604800, method: "token" },
    });
  });

  it("turns a custom expiry into seconds", () => {
    const form = { ...emptyForm(CUSTOM_EXPIRY), path: "a.txt", customAmount: "3", customUnit: "days" as const };
    const check = checkRequest(form, "media");
    expect(check.ok && check.input.expires_in).toBe(259200);
  });

  it("collects every problem at once", () => {
    const form = { ...emptyForm(CUSTOM_EXPIRY), path: "", customAmount: "0" };
    expect(checkRequest(form, null)).toEqual({
      ok: false,
      errors: {
        bucket: "This profile has no default bucket: enter one.",
        path: "Enter the path the file should land at, for example incoming/report.pdf.",
        expiry: "The expiry must be more than zero.",
      },
    });
    expect(checkRequest({ ...emptyForm(), path: "a.txt", bucket: "Bad_Bucket" }, "media")).toMatchObject({
      ok: false,
      errors: { bucket: expect.stringMatching(/lowercase letters/) },
    });
    expect(checkRequest({ ...emptyForm(), path: "a.txt", bucket: "ab" }, "media")).toMatchObject({
      ok: false,
      errors: { bucket: "A bucket name has 3 to 63 characters." },
    });
  });

  it("refuses a bucket name the server reserves", () => {
    expect(checkRequest({ ...emptyForm(), path: "a.txt", bucket: " uploads " }, "media")).toEqual({
      ok: false,
      errors: { bucket: "That name is reserved by the server." },
    });
  });
});

describe("requestState", () => {
  const base: UploadRequest = {
    id: 1,
    method: "token",
    bucket: "media",
    path: "a.txt",
    url: "http://x/",
    token: "t",
    curl: "curl",
    expires_at: 10_000,
    arrived: null,
  };

  it("is waiting until it expires, and arrived once the file is there", () => {
    expect(requestState(base, 9_999)).toBe("waiting");
    expect(requestState(base, 10_000)).toBe("expired");
    const arrived = { ...base, arrived: {} as UploadRequest["arrived"] };
    expect(requestState(arrived, 20_000)).toBe("arrived");
  });
});
