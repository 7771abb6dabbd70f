// Where dropped, picked and pasted files go: the drop target's profile, bucket and prefix.
import type { ProfileView } from "../bindings/ProfileView";
import type { UploadTarget } from "../bindings/UploadTarget";

class TargetStore {
  /** Profile name; "" until the profiles are known (the shell then uses the default profile). */
  profile = $state("");
  bucket = $state("");
  prefix = $state("");

  /** Takes a profile's bucket and prefix as the starting point (on start and when the profile changes). */
  useProfile(profile: ProfileView | null): void {
    this.profile = profile?.name ?? "";
    this.bucket = profile?.bucket ?? "";
    this.prefix = profile?.prefix ?? "";
  }

  /** What add_paths and paste_clipboard receive; an empty bucket means the profile's default. */
  get uploadTarget(): UploadTarget {
    return {
      profile: this.profile || null,
      bucket: this.bucket.trim() || null,
      prefix: this.prefix.trim(),
    };
  }

  /** "bucket/prefix/" as a person reads the destination. */
  get label(): string {
    const bucket = this.bucket.trim() || "(profile's bucket)";
    const prefix = this.prefix.trim().replace(/^\/+/, "");
    return prefix ? `${bucket}/${prefix.replace(/\/?$/, "/")}` : `${bucket}/`;
  }
}

export const target = new TargetStore();
