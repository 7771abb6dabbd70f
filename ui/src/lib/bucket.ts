// The server's bucket-name rule, checked in every form that takes a bucket before a round trip.

/** Names the server keeps for its own routes (mediasaur-api's RESERVED_BUCKET_NAMES). */
const RESERVED_BUCKETS = new Set(["files", "uploads", "token", "tokens", "healthz", "signatures", "api", "admin", "buckets", "keys", "static", "assets"]);

/** Why a bucket name cannot be used (mirrors mediasaur-api's BucketName::parse), or null when it is fine. */
export function bucketProblem(bucket: string): string | null {
  if (bucket.length < 3 || bucket.length > 63) return "A bucket name has 3 to 63 characters.";
  if (!/^[a-z0-9-]+$/.test(bucket)) return "Only lowercase letters, digits and '-'.";
  if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return "Starts and ends with a lowercase letter or digit.";
  if (RESERVED_BUCKETS.has(bucket)) return "That name is reserved by the server.";
  return null;
}
