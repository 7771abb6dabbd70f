// share.ts: Markdown and HTML snippets (escaping), expiry presets and custom durations, date ranges.
import { describe, expect, it } from "vitest";
import {
  customExpiry,
  describeExpiry,
  escapeHtml,
  escapeMarkdownText,
  escapeMarkdownUrl,
  EXPIRY_PRESETS,
  MAX_EXPIRY_SECONDS,
  presetFor,
  toHtml,
  toMarkdown,
  uploadedAfter,
} from "./share";

describe("Markdown", () => {
  it("embeds images and links everything else", () => {
    expect(toMarkdown({ name: "cat.png", url: "https://m.example/media/cat.png", kind: "image" })).toBe(
      "![cat.png](https://m.example/media/cat.png)",
    );
    expect(toMarkdown({ name: "report.pdf", url: "https://m.example/docs/report.pdf", kind: "document" })).toBe(
      "[report.pdf](https://m.example/docs/report.pdf)",
    );
    expect(toMarkdown({ name: "clip.mp4", url: "https://m.example/v/clip.mp4", kind: "video" })).toBe(
      "[clip.mp4](https://m.example/v/clip.mp4)",
    );
  });

  it("escapes brackets and emphasis in the text and spaces and parentheses in the URL", () => {
    expect(escapeMarkdownText("a [b] *c* _d_ \\e")).toBe("a \\[b\\] \\*c\\* \\_d\\_ \\\\e");
    expect(escapeMarkdownUrl("https://x/a b(1).png")).toBe("https://x/a%20b%281%29.png");
    expect(toMarkdown({ name: "my [best] (1).png", url: "https://x/my [best] (1).png", kind: "image" })).toBe(
      "![my \\[best\\] (1).png](https://x/my%20[best]%20%281%29.png)",
    );
  });
});

describe("HTML", () => {
  it("uses img for images and a for the rest", () => {
    expect(toHtml({ name: "cat.png", url: "https://m.example/cat.png", kind: "image" })).toBe(
      '<img src="https://m.example/cat.png" alt="cat.png">',
    );
    expect(toHtml({ name: "song.mp3", url: "https://m.example/song.mp3", kind: "audio" })).toBe(
      '<a href="https://m.example/song.mp3">song.mp3</a>',
    );
  });

  it("escapes every value", () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    expect(toHtml({ name: 'x"><script>alert(1)</script>.png', url: "https://h/?a=1&b=\"2\"", kind: "image" })).toBe(
      '<img src="https://h/?a=1&amp;b=&quot;2&quot;" alt="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.png">',
    );
    expect(toHtml({ name: "<b>&</b>.txt", url: "https://h/a'b", kind: "document" })).toBe(
      '<a href="https://h/a&#39;b">&lt;b&gt;&amp;&lt;/b&gt;.txt</a>',
    );
  });
});

describe("expiries", () => {
  it("maps each preset to its seconds", () => {
    expect(EXPIRY_PRESETS.map((p) => [p.id, p.seconds])).toEqual([
      ["1h", 3600],
      ["1d", 86400],
      ["7d", 604800],
    ]);
    expect(presetFor(86400)?.id).toBe("1d");
    expect(presetFor(7200)).toBeNull();
  });

  it("turns a custom amount and unit into whole seconds", () => {
    expect(customExpiry("90", "seconds")).toEqual({ ok: true, seconds: 90 });
    expect(customExpiry(2, "hours")).toEqual({ ok: true, seconds: 7200 });
    expect(customExpiry("1.5", "days")).toEqual({ ok: true, seconds: 129600 });
    expect(customExpiry("30", "minutes")).toEqual({ ok: true, seconds: 1800 });
  });

  it("refuses empty, zero, negative and too long expiries", () => {
    expect(customExpiry("", "seconds").ok).toBe(false);
    expect(customExpiry("abc", "hours").ok).toBe(false);
    expect(customExpiry(0, "days")).toEqual({ ok: false, error: "The expiry must be more than zero." });
    expect(customExpiry(-5, "seconds").ok).toBe(false);
    expect(customExpiry(0.2, "seconds").ok).toBe(false);
    expect(customExpiry(366, "days")).toEqual({ ok: false, error: "The expiry can be at most 365 days." });
    expect(customExpiry(MAX_EXPIRY_SECONDS, "seconds")).toEqual({ ok: true, seconds: MAX_EXPIRY_SECONDS });
  });

  it("describes a duration in its largest whole unit", () => {
    expect(describeExpiry(3600)).toBe("1 hour");
    expect(describeExpiry(7200)).toBe("2 hours");
    expect(describeExpiry(604800)).toBe("7 days");
    expect(describeExpiry(90)).toBe("90 seconds");
    expect(describeExpiry(1)).toBe("1 second");
    expect(describeExpiry(5400)).toBe("90 minutes");
  });
});

describe("uploadedAfter", () => {
  const now = new Date(2024, 5, 15, 14, 30).getTime();

  it("gives local midnight for today and rolling windows otherwise", () => {
    expect(uploadedAfter("all", now)).toBeNull();
    expect(uploadedAfter("today", now)).toBe(new Date(2024, 5, 15, 0, 0).getTime());
    expect(uploadedAfter("7d", now)).toBe(now - 7 * 86_400_000);
    expect(uploadedAfter("30d", now)).toBe(now - 30 * 86_400_000);
  });
});
