// Pure helpers for sharing uploads: Markdown and HTML snippets, link expiries and date ranges.
import type { FileKind } from "./bindings/FileKind";

/** The longest a signed link or an upload request may live (the core's MAX_LINK_EXPIRY). */
export const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;

// ---------------------------------------------------------------------------------------------
// Markdown and HTML

/** Escapes text for HTML content and attribute values (double- or single-quoted). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Escapes the characters that would end or break a Markdown link text (`[...]`). */
export function escapeMarkdownText(text: string): string {
  return text.replace(/[\\[\]`*_<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");
}

/**
 * Makes a URL safe inside Markdown's `(...)`: spaces, parentheses and angle brackets would end the
 * destination early, so they are percent-encoded (the URL still points at the same place).
 */
export function escapeMarkdownUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

export interface Shareable {
  name: string;
  url: string;
  kind: FileKind;
}

/** `![name](url)` for images (they render inline), `[name](url)` for everything else. */
export function toMarkdown({ name, url, kind }: Shareable): string {
  const link = `[${escapeMarkdownText(name)}](${escapeMarkdownUrl(url)})`;
  return kind === "image" ? `!${link}` : link;
}

/** `<img src alt>` for images, `<a href>name</a>` otherwise; every value escaped. */
export function toHtml({ name, url, kind }: Shareable): string {
  if (kind === "image") return `<img src="${escapeHtml(url)}" alt="${escapeHtml(name)}">`;
  return `<a href="${escapeHtml(url)}">${escapeHtml(name)}</a>`;
}

// ---------------------------------------------------------------------------------------------
// Expiries

export interface ExpiryPreset {
  /** Stable id, used in test ids: `share-preset-1h`. */
  id: "1h" | "1d" | "7d";
  label: string;
  seconds: number;
}

export const EXPIRY_PRESETS: readonly ExpiryPreset[] = [
  { id: "1h", label: "1 hour", seconds: 3600 },
  { id: "1d", label: "1 day", seconds: 86_400 },
  { id: "7d", label: "7 days", seconds: 7 * 86_400 },
];

export const EXPIRY_UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 } as const;
export type ExpiryUnit = keyof typeof EXPIRY_UNITS;

/** The preset that lasts exactly `seconds`, if any (to mark the default in a chooser). */
export function presetFor(seconds: number): ExpiryPreset | null {
  return EXPIRY_PRESETS.find((p) => p.seconds === seconds) ?? null;
}

export type ExpiryResult = { ok: true; seconds: number } | { ok: false; error: string };

/** A custom expiry typed as a number and a unit, checked: whole seconds, 1 s to 365 days. */
export function customExpiry(amount: number | string | null | undefined, unit: ExpiryUnit): ExpiryResult {
  const value = typeof amount === "string" ? Number(amount.trim() === "" ? NaN : amount) : (amount ?? NaN);
  if (!Number.isFinite(value)) return { ok: false, error: "Enter how long the link stays valid." };
  if (value <= 0) return { ok: false, error: "The expiry must be more than zero." };
  const seconds = Math.round(value * EXPIRY_UNITS[unit]);
  if (seconds < 1) return { ok: false, error: "The expiry must be at least 1 second." };
  if (seconds > MAX_EXPIRY_SECONDS) return { ok: false, error: "The expiry can be at most 365 days." };
  return { ok: true, seconds };
}

/** A duration in the largest unit it is a whole number of: 3600 → "1 hour", 90 → "90 seconds". */
export function describeExpiry(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${n === 1 ? name : `${name}s`}`;
    }
  }
  return `${seconds} ${seconds === 1 ? "second" : "seconds"}`;
}

// ---------------------------------------------------------------------------------------------
// Date ranges for the history filter

export type DateRange = "all" | "today" | "7d" | "30d";

export const DATE_RANGES: readonly { id: DateRange; label: string }[] = [
  { id: "all", label: "Any time" },
  { id: "today", label: "Today" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
];

/** The `uploaded_after` bound (ms) for a range: local midnight for today, a rolling window otherwise. */
export function uploadedAfter(range: DateRange, now: number = Date.now()): number | null {
  switch (range) {
    case "all":
      return null;
    case "today": {
      const midnight = new Date(now);
      midnight.setHours(0, 0, 0, 0);
      return midnight.getTime();
    }
    case "7d":
      return now - 7 * 86_400_000;
    case "30d":
      return now - 30 * 86_400_000;
  }
}
