// "Request a file": the form (checked before anything is sent), the last result, and this run's requests.
import * as api from "../api";
import type { RequestMethod } from "../bindings/RequestMethod";
import { bucketProblem } from "../bucket";
import type { UploadRequest } from "../bindings/UploadRequest";
import type { UploadRequestInput } from "../bindings/UploadRequestInput";
import { customExpiry, type ExpiryUnit } from "../share";
import { LoadedList } from "./list.svelte";

/** The `request-expiry` select's value for a typed duration; other values are seconds. */
export const CUSTOM_EXPIRY = "custom";

const MAX_PATH_BYTES = 1024;

export interface RequestForm {
  /** "" = the default profile. */
  profile: string;
  /** "" = the profile's bucket. */
  bucket: string;
  path: string;
  /** Seconds as a string (a preset or the default), or CUSTOM_EXPIRY. */
  expiry: string;
  customAmount: string;
  customUnit: ExpiryUnit;
  method: RequestMethod;
}

export type RequestField = "bucket" | "path" | "expiry";
export type RequestErrors = Partial<Record<RequestField, string>>;
export type RequestCheck = { ok: true; input: UploadRequestInput } | { ok: false; errors: RequestErrors };

/** The path as it will be sent: trimmed, without leading slashes (the server takes paths relative to the bucket). */
export function normalizePath(raw: string): string {
  return raw.trim().replace(/^\/+/, "");
}

/** Why a path cannot be used, in words, or null when it is fine. */
export function pathProblem(raw: string): string | null {
  const path = normalizePath(raw);
  if (path === "") return "Enter the path the file should land at, for example incoming/report.pdf.";
  if (path.includes("\\")) return "Use “/” between folders, not “\\”.";
  if (/[\u0000-\u001f\u007f]/.test(path)) return "The path contains a control character.";
  if (path.endsWith("/")) return "The path ends with “/”: add the file's name.";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return "The path has an empty folder name (“//”).";
  if (segments.some((s) => s === "." || s === "..")) return "“.” and “..” cannot be part of the path.";
  if (new TextEncoder().encode(path).length > MAX_PATH_BYTES) return "The path is longer than 1024 bytes.";
  return null;
}

/** Checks the form; on success gives exactly what request_upload receives. */
export function checkRequest(form: RequestForm, profileBucket: string | null): RequestCheck {
  const errors: RequestErrors = {};
  const bucket = form.bucket.trim();
  if (bucket === "") {
    if (!profileBucket) errors.bucket = "This profile has no default bucket: enter one.";
  } else {
    const problem = bucketProblem(bucket);
    if (problem) errors.bucket = problem;
  }
  const pathError = pathProblem(form.path);
  if (pathError) errors.path = pathError;

  let expiresIn = 0;
  if (form.expiry === CUSTOM_EXPIRY) {
    const result = customExpiry(form.customAmount, form.customUnit);
    if (result.ok) expiresIn = result.seconds;
    else errors.expiry = result.error;
  } else {
    expiresIn = Number(form.expiry);
    if (!Number.isInteger(expiresIn) || expiresIn <= 0) errors.expiry = "Choose how long the request stays open.";
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      profile: form.profile === "" ? null : form.profile,
      bucket: bucket === "" ? null : bucket,
      path: normalizePath(form.path),
      expires_in: expiresIn,
      method: form.method,
    },
  };
}

export type RequestState = "waiting" | "arrived" | "expired";

export function requestState(request: UploadRequest, now: number = Date.now()): RequestState {
  if (request.arrived) return "arrived";
  return request.expires_at > now ? "waiting" : "expired";
}

export const METHOD_LABELS: Record<RequestMethod, string> = {
  token: "Upload token",
  signed_put: "Signed PUT URL",
};

export function emptyForm(expiry: string = "86400"): RequestForm {
  return { profile: "", bucket: "", path: "", expiry, customAmount: "", customUnit: "hours", method: "token" };
}

class RequestsStore extends LoadedList<UploadRequest> {
  form = $state<RequestForm>(emptyForm());
  /** Whether the expiry was set from the settings' default yet (once per run). */
  expiryFromSettings = false;
  /** The request made last from the form, shown as the result card. */
  result = $state.raw<UploadRequest | null>(null);

  constructor() {
    super(() => api.listRequests());
  }

  // Keep the result card in step (it may have arrived meanwhile).
  protected override received(list: UploadRequest[]): void {
    const result = this.result;
    if (result) this.result = list.find((r) => r.id === result.id) ?? result;
  }

  override reset(): void {
    super.reset();
    this.form = emptyForm();
    this.expiryFromSettings = false;
    this.result = null;
  }

  /** Sends a checked request; the list gains it at once (the event refreshes it again later). */
  async create(input: UploadRequestInput): Promise<UploadRequest> {
    const request = await api.requestUpload(input);
    this.result = request;
    this.list = [request, ...this.list.filter((r) => r.id !== request.id)];
    return request;
  }
}

export const requests = new RequestsStore();
