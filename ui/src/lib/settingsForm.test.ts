// Settings and profile validation, and the unit round trip between bytes/seconds and the form.
import { describe, expect, it } from "vitest";
import { settings } from "../test/fixtures";
import { toForm, validateProfile, validateSettings } from "./settingsForm";

describe("toForm", () => {
  it("picks the biggest whole unit", () => {
    const form = toForm(settings({ bandwidth_limit: 512 * 1024, chunk_size: 8 * 1024 * 1024, default_link_expiry: 7 * 86400 }));
    expect([form.bandwidth, form.bandwidthUnit]).toEqual([512, "KiB/s"]);
    expect([form.chunkSize, form.chunkUnit]).toEqual([8, "MiB"]);
    expect([form.linkExpiry, form.linkExpiryUnit]).toEqual([7, "days"]);
    expect(toForm(settings({ default_link_expiry: 5400 })).linkExpiryUnit).toBe("minutes");
    expect(toForm(settings()).bandwidth).toBeNull();
  });

  it("round-trips through validation unchanged", () => {
    const original = settings({ bandwidth_limit: 3 * 1024 * 1024, default_link_expiry: 3600, theme: "dark", auto_copy: "url" });
    expect(validateSettings(toForm(original)).settings).toEqual(original);
  });
});

describe("validateSettings", () => {
  const base = toForm(settings());

  it("converts units to bytes and seconds", () => {
    const result = validateSettings({ ...base, bandwidth: 1.5, bandwidthUnit: "MiB/s", chunkSize: 256, chunkUnit: "KiB", linkExpiry: 2, linkExpiryUnit: "hours" });
    expect(result.errors).toEqual({});
    expect(result.settings).toMatchObject({ bandwidth_limit: 1572864, chunk_size: 262144, default_link_expiry: 7200 });
  });

  it("treats an empty bandwidth as no limit", () => {
    expect(validateSettings({ ...base, bandwidth: undefined }).settings?.bandwidth_limit).toBeNull();
  });

  it.each([
    [{ concurrency: 0 }, "concurrency"],
    [{ concurrency: 17 }, "concurrency"],
    [{ concurrency: 2.5 }, "concurrency"],
    [{ concurrency: null }, "concurrency"],
    [{ bandwidth: 0 }, "bandwidth"],
    [{ bandwidth: -3 }, "bandwidth"],
    [{ chunkSize: 63, chunkUnit: "KiB" as const }, "chunkSize"],
    [{ chunkSize: 2048, chunkUnit: "MiB" as const }, "chunkSize"],
    [{ chunkSize: Number.NaN }, "chunkSize"],
    [{ linkExpiry: 0.5, linkExpiryUnit: "minutes" as const }, "linkExpiry"],
    [{ linkExpiry: null }, "linkExpiry"],
  ])("refuses %o", (change, field) => {
    const result = validateSettings({ ...base, ...change });
    expect(result.settings).toBeNull();
    expect(Object.keys(result.errors)).toEqual([field]);
  });

  it("accepts the bounds", () => {
    expect(validateSettings({ ...base, concurrency: 1, chunkSize: 64, chunkUnit: "KiB", linkExpiry: 1, linkExpiryUnit: "minutes" }).settings).not.toBeNull();
    expect(validateSettings({ ...base, concurrency: 16 }).settings).not.toBeNull();
  });
});

describe("validateProfile", () => {
  const input = { name: " work ", endpoint: "https://media.example.com/ ", bucket: " photos ", prefix: " 2024/ ", make_default: false };

  it("trims and normalises", () => {
    expect(validateProfile(input).input).toEqual({ name: "work", endpoint: "https://media.example.com", bucket: "photos", prefix: "2024/", make_default: false });
    expect(validateProfile({ ...input, bucket: "  " }).input?.bucket).toBeNull();
  });

  it("refuses bad names, endpoints and buckets", () => {
    expect(validateProfile({ ...input, name: "" }).errors.name).toBeTruthy();
    expect(validateProfile({ ...input, name: "a b" }).errors.name).toBeTruthy();
    expect(validateProfile({ ...input, endpoint: "ftp://x" }).errors.endpoint).toBeTruthy();
    expect(validateProfile({ ...input, endpoint: "localhost:8080" }).errors.endpoint).toBeTruthy();
    expect(validateProfile({ ...input, bucket: "Photos" }).errors.bucket).toBeTruthy();
  });

  it("refuses a bucket name the server reserves", () => {
    expect(validateProfile({ ...input, bucket: " files " }).errors.bucket).toBe("That name is reserved by the server.");
  });
});
