// bucket.ts: the server's bucket-name rule, reserved names included.
import { describe, expect, it } from "vitest";
import { bucketProblem } from "./bucket";

describe("bucketProblem", () => {
  it("mirrors the server's bucket rule", () => {
    expect(bucketProblem("my-bucket")).toBeNull();
    expect(bucketProblem("a1b")).toBeNull();
    expect(bucketProblem("a".repeat(63))).toBeNull();
    expect(bucketProblem("ab")).toMatch(/3 to 63/);
    expect(bucketProblem("a".repeat(64))).toMatch(/3 to 63/);
    expect(bucketProblem("-ab")).toMatch(/Starts and ends/);
    expect(bucketProblem("ab-")).toMatch(/Starts and ends/);
    expect(bucketProblem("a_b")).toMatch(/lowercase/);
    expect(bucketProblem("Photos")).toMatch(/lowercase/);
  });

  it("refuses every name the server keeps for its routes", () => {
    for (const name of ["files", "uploads", "token", "tokens", "healthz", "signatures", "api", "admin", "buckets", "keys", "static", "assets"]) {
      expect(bucketProblem(name)).toBe("That name is reserved by the server.");
    }
    expect(bucketProblem("files-2")).toBeNull();
  });
});
