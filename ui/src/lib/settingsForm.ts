// The Settings and profile forms as plain data: converting to and from the wire types, and validation.
import { bucketProblem } from "./bucket";
import type { AutoCopy } from "./bindings/AutoCopy";
import type { DuplicatePolicy } from "./bindings/DuplicatePolicy";
import type { ProfileInput } from "./bindings/ProfileInput";
import type { Settings } from "./bindings/Settings";
import type { Theme } from "./bindings/Theme";

const KIB = 1024;
const MIB = 1024 * 1024;

export const RATE_UNITS = { "KiB/s": KIB, "MiB/s": MIB } as const;
export const SIZE_UNITS = { KiB: KIB, MiB: MIB } as const;
export const TIME_UNITS = { minutes: 60, hours: 3600, days: 86400 } as const;

export type RateUnit = keyof typeof RATE_UNITS;
export type SizeUnit = keyof typeof SIZE_UNITS;
export type TimeUnit = keyof typeof TIME_UNITS;

export const CONCURRENCY_MIN = 1;
export const CONCURRENCY_MAX = 16;
export const CHUNK_MIN = 64 * KIB;
/** Not a server rule: a chunk is buffered in memory, and past this size resuming gains nothing. */
export const CHUNK_MAX = 1024 * MIB;
export const EXPIRY_MIN = 60;

/** What the inputs hold; numbers are null (or undefined/NaN from an emptied number input) when blank. */
export interface SettingsForm {
  concurrency: number | null | undefined;
  /** Blank means no limit. */
  bandwidth: number | null | undefined;
  bandwidthUnit: RateUnit;
  chunkSize: number | null | undefined;
  chunkUnit: SizeUnit;
  linkExpiry: number | null | undefined;
  linkExpiryUnit: TimeUnit;
  auto_copy: AutoCopy;
  notifications: boolean;
  start_at_login: boolean;
  theme: Theme;
  duplicates: DuplicatePolicy;
}

export type SettingsErrors = Partial<Record<"concurrency" | "bandwidth" | "chunkSize" | "linkExpiry", string>>;

function blank(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

/** The biggest unit the value is a whole number of, so 8 MiB shows as "8 MiB", not "8192 KiB". */
function pickUnit<U extends string>(value: number, units: Record<U, number>, fallback: U): U {
  const byBig = (Object.entries(units) as [U, number][]).sort((a, b) => b[1] - a[1]);
  return byBig.find(([, factor]) => value >= factor && value % factor === 0)?.[0] ?? fallback;
}

export function toForm(settings: Settings): SettingsForm {
  const rateUnit: RateUnit = settings.bandwidth_limit === null ? "MiB/s" : pickUnit(settings.bandwidth_limit, RATE_UNITS, "KiB/s");
  const chunkUnit = pickUnit(settings.chunk_size, SIZE_UNITS, "KiB");
  const timeUnit = pickUnit(settings.default_link_expiry, TIME_UNITS, "minutes");
  return {
    concurrency: settings.concurrency,
    bandwidth: settings.bandwidth_limit === null ? null : settings.bandwidth_limit / RATE_UNITS[rateUnit],
    bandwidthUnit: rateUnit,
    chunkSize: settings.chunk_size / SIZE_UNITS[chunkUnit],
    chunkUnit,
    linkExpiry: settings.default_link_expiry / TIME_UNITS[timeUnit],
    linkExpiryUnit: timeUnit,
    auto_copy: settings.auto_copy,
    notifications: settings.notifications,
    start_at_login: settings.start_at_login,
    theme: settings.theme,
    duplicates: settings.duplicates,
  };
}

export function validateSettings(form: SettingsForm): { settings: Settings | null; errors: SettingsErrors } {
  const errors: SettingsErrors = {};

  const concurrency = form.concurrency;
  if (blank(concurrency) || !Number.isInteger(concurrency) || concurrency < CONCURRENCY_MIN || concurrency > CONCURRENCY_MAX) {
    errors.concurrency = `A whole number from ${CONCURRENCY_MIN} to ${CONCURRENCY_MAX}.`;
  }

  let bandwidth: number | null = null;
  if (!blank(form.bandwidth)) {
    bandwidth = Math.round(form.bandwidth * RATE_UNITS[form.bandwidthUnit]);
    if (!(form.bandwidth > 0) || bandwidth < KIB) errors.bandwidth = "At least 1 KiB/s, or leave it empty for no limit.";
  }

  let chunk = 0;
  if (blank(form.chunkSize)) {
    errors.chunkSize = "Enter a chunk size.";
  } else {
    chunk = Math.round(form.chunkSize * SIZE_UNITS[form.chunkUnit]);
    if (chunk < CHUNK_MIN) errors.chunkSize = "At least 64 KiB.";
    else if (chunk > CHUNK_MAX) errors.chunkSize = "At most 1024 MiB.";
  }

  let expiry = 0;
  if (blank(form.linkExpiry)) {
    errors.linkExpiry = "Enter how long shared links stay valid.";
  } else {
    expiry = Math.round(form.linkExpiry * TIME_UNITS[form.linkExpiryUnit]);
    if (expiry < EXPIRY_MIN) errors.linkExpiry = "At least one minute.";
  }

  if (Object.keys(errors).length > 0) return { settings: null, errors };
  return {
    errors,
    settings: {
      concurrency: concurrency as number,
      bandwidth_limit: bandwidth,
      chunk_size: chunk,
      default_link_expiry: expiry,
      auto_copy: form.auto_copy,
      notifications: form.notifications,
      start_at_login: form.start_at_login,
      theme: form.theme,
      duplicates: form.duplicates,
    },
  };
}

export type ProfileErrors = Partial<Record<"name" | "endpoint" | "bucket", string>>;

/** Checks a profile before save_profile; trims what a person may have padded with spaces. */
export function validateProfile(input: ProfileInput): { input: ProfileInput | null; errors: ProfileErrors } {
  const errors: ProfileErrors = {};
  const name = input.name.trim();
  const endpoint = input.endpoint.trim().replace(/\/+$/, "");
  const bucket = input.bucket?.trim() || null;

  if (name === "") errors.name = "Give the profile a name.";
  else if (name.length > 64) errors.name = "At most 64 characters.";
  else if (/[\\/\s]/.test(name)) errors.name = "No spaces or slashes.";

  if (endpoint === "") {
    errors.endpoint = "Enter the server's address, such as http://localhost:8080.";
  } else {
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.host === "") {
      errors.endpoint = "An http:// or https:// address, such as https://media.example.com.";
    }
  }

  if (bucket !== null) {
    const problem = bucketProblem(bucket);
    if (problem) errors.bucket = problem;
  }

  if (Object.keys(errors).length > 0) return { input: null, errors };
  return { input: { ...input, name, endpoint, bucket, prefix: input.prefix.trim() }, errors };
}
