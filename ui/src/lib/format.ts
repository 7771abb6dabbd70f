// Formatting helpers shared by every view: sizes, speeds, durations, dates and percentages.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Binary units, like the file managers on Linux: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal while it still says something (1.5 MiB), none once it is noise (312 MiB).
  const digits = value < 100 ? 1 : 0;
  const text = value.toFixed(digits).replace(/\.0$/, "");
  // Rounding can reach 1024.0 of a unit; say it in the next one instead.
  if (text === "1024" && unit < UNITS.length - 1) return `1 ${UNITS[unit + 1]}`;
  return `${text} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return "–";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Time left, coarse on purpose: the seconds of a two-hour upload are noise. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 1) return "< 1 s";
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}

/** A media duration as a clock: 65 → "1:05", 3723 → "1:02:03". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** A round trip in whole milliseconds: 12.345678 → "12 ms"; under one is "<1 ms", not "0 ms". */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  return ms < 1 ? "<1 ms" : `${Math.round(ms)} ms`;
}

export function formatDimensions(width: number | null, height: number | null): string | null {
  return width !== null && height !== null ? `${width}×${height}` : null;
}

/** Whole percent, rounded down so 100 means finished, never "almost". */
export function percent(part: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(part)) return 0;
  return Math.max(0, Math.min(100, Math.floor((part * 100) / total)));
}

export interface DateOptions {
  /** "Now" for Today/Yesterday; tests pin it. */
  now?: number;
  locale?: string;
  timeZone?: string;
}

function dayKey(ms: number, locale: string | undefined, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat(locale ?? "en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(ms);
}

/** "Today, 14:03", "Yesterday, 09:12", "12 Mar, 14:03" this year, "12 Mar 2024" before. */
export function formatDate(ms: number, options: DateOptions = {}): string {
  const { now = Date.now(), locale, timeZone } = options;
  if (!Number.isFinite(ms)) return "–";
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(ms);
  const key = (t: number) => dayKey(t, "en-CA", timeZone);
  if (key(ms) === key(now)) return `Today, ${time}`;
  if (key(ms) === key(now - 86_400_000)) return `Yesterday, ${time}`;
  const sameYear = key(ms).slice(0, 4) === key(now).slice(0, 4);
  if (sameYear) {
    const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone }).format(ms);
    return `${day}, ${time}`;
  }
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone }).format(ms);
}

/** "in 3 days", "5 minutes ago", "now": for expiries and recent events. */
export function formatRelative(ms: number, options: Omit<DateOptions, "timeZone"> = {}): string {
  const { now = Date.now(), locale } = options;
  const diff = (ms - now) / 1000;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 26 * 86400) return rtf.format(Math.round(diff / 86400), "day");
  if (abs < 320 * 86400) return rtf.format(Math.round(diff / (30 * 86400)), "month");
  return rtf.format(Math.round(diff / (365 * 86400)), "year");
}

/**
 * The file name of a server path or a local path: its last segment, for either separator (sources
 * may be Windows paths); the path itself when it has no name (`/`).
 */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  const name = cut >= 0 ? trimmed.slice(cut + 1) : trimmed;
  return name || path;
}

/** "3 files" / "1 file". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
