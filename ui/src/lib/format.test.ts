// Formatting helpers: sizes, speeds, ETAs, durations, dates, percentages.
import { describe, expect, it } from "vitest";
import {
  baseName,
  formatBytes,
  formatDate,
  formatDimensions,
  formatDuration,
  formatEta,
  formatLatency,
  formatRelative,
  formatSpeed,
  percent,
  plural,
} from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024 * 1024, "10 MiB"],
    [150 * 1024 * 1024, "150 MiB"],
    [1024 * 1024 * 1024 - 1, "1 GiB"],
    [5.25 * 1024 ** 4, "5.3 TiB"],
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("refuses nonsense", () => {
    expect(formatBytes(-1)).toBe("–");
    expect(formatBytes(Number.NaN)).toBe("–");
  });
});

describe("formatSpeed", () => {
  it("is bytes per second", () => {
    expect(formatSpeed(2.5 * 1024 * 1024)).toBe("2.5 MiB/s");
    expect(formatSpeed(0)).toBe("0 B/s");
  });
});

describe("formatEta", () => {
  it.each([
    [null, "–"],
    [0.2, "< 1 s"],
    [42, "42 s"],
    [60, "1 min"],
    [185, "3 min 5 s"],
    [7200, "2 h"],
    [7980, "2 h 13 min"],
    [90000, "1 d 1 h"],
  ])("%s s → %s", (seconds, text) => {
    expect(formatEta(seconds)).toBe(text);
  });
});

describe("formatDuration", () => {
  it("reads like a clock", () => {
    expect(formatDuration(5)).toBe("0:05");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3723)).toBe("1:02:03");
  });
});

describe("formatLatency", () => {
  it("says whole milliseconds, and under one as <1 ms", () => {
    expect(formatLatency(12.345678)).toBe("12 ms");
    expect(formatLatency(7)).toBe("7 ms");
    expect(formatLatency(1.5)).toBe("2 ms");
    expect(formatLatency(0.42)).toBe("<1 ms");
    expect(formatLatency(0)).toBe("<1 ms");
    expect(formatLatency(Number.NaN)).toBe("–");
  });
});

describe("formatDimensions", () => {
  it("needs both sides", () => {
    expect(formatDimensions(640, 480)).toBe("640×480");
    expect(formatDimensions(640, null)).toBeNull();
  });
});

describe("formatDate", () => {
  const now = Date.UTC(2025, 2, 14, 15, 0, 0);
  const opts = { now, locale: "en-GB", timeZone: "UTC" };

  it("says today and yesterday", () => {
    expect(formatDate(Date.UTC(2025, 2, 14, 9, 5), opts)).toBe("Today, 09:05");
    expect(formatDate(Date.UTC(2025, 2, 13, 23, 59), opts)).toBe("Yesterday, 23:59");
  });

  it("leaves the year out this year and keeps it before", () => {
    expect(formatDate(Date.UTC(2025, 0, 2, 8, 30), opts)).toBe("2 Jan, 08:30");
    expect(formatDate(Date.UTC(2023, 11, 24, 8, 30), opts)).toBe("24 Dec 2023");
  });

  it("uses the given time zone for the day boundary", () => {
    // At 03:00 UTC on the 14th, 23:30 UTC on the 13th was yesterday in UTC but is today in Tokyo.
    const early = { now: Date.UTC(2025, 2, 14, 3, 0), locale: "en-GB" };
    const when = Date.UTC(2025, 2, 13, 23, 30);
    expect(formatDate(when, { ...early, timeZone: "UTC" })).toBe("Yesterday, 23:30");
    expect(formatDate(when, { ...early, timeZone: "Asia/Tokyo" })).toBe("Today, 08:30");
  });
});

describe("formatRelative", () => {
  const now = 1_700_000_000_000;
  it("rounds to a natural unit", () => {
    expect(formatRelative(now + 5 * 60_000, { now, locale: "en" })).toBe("in 5 minutes");
    expect(formatRelative(now - 3 * 3600_000, { now, locale: "en" })).toBe("3 hours ago");
    expect(formatRelative(now + 7 * 86400_000, { now, locale: "en" })).toBe("in 7 days");
    expect(formatRelative(now + 10_000, { now, locale: "en" })).toBe("now");
  });
});

describe("percent", () => {
  it("rounds down and clamps", () => {
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(2000, 1000)).toBe(100);
    expect(percent(5, 0)).toBe(0);
  });
});

describe("baseName and plural", () => {
  it("takes the last segment of server and local paths, for both separators", () => {
    expect(baseName("/home/ada/a.png")).toBe("a.png");
    expect(baseName("C:\\Users\\ada\\b.png")).toBe("b.png");
    expect(baseName("/home/ada/folder/")).toBe("folder");
    expect(baseName("photos/2024/cat.png")).toBe("cat.png");
    expect(baseName("cat.png")).toBe("cat.png");
    expect(baseName("photos/2024/")).toBe("2024");
  });
  it("keeps a path that has no last segment", () => {
    expect(baseName("/")).toBe("/");
    expect(baseName("")).toBe("");
  });
  it("pluralises", () => {
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(3, "file")).toBe("3 files");
  });
});
