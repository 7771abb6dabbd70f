// Test data builders shared by the unit tests.
import type { FileObject } from "../lib/bindings/FileObject";
import type { ProfileView } from "../lib/bindings/ProfileView";
import type { Settings } from "../lib/bindings/Settings";
import type { Transfer } from "../lib/bindings/Transfer";

export function transfer(id: number, over: Partial<Transfer> = {}): Transfer {
  return {
    id,
    source: `/home/ada/pictures/photo-${id}.jpg`,
    size: 1000,
    modified_ns: 0,
    profile: "default",
    bucket: "media",
    path: `photo-${id}.jpg`,
    strategy: "tus",
    state: "queued",
    upload_url: null,
    acked_bytes: 0,
    attempts: 0,
    error_code: null,
    error_message: null,
    restart_reason: null,
    outcome: null,
    file_id: null,
    watch_id: null,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000 + id,
    started_at: null,
    finished_at: null,
    ...over,
  };
}

export function fileObject(over: Partial<FileObject> = {}): FileObject {
  return {
    id: "f_1",
    kind: "image",
    type: "image/jpeg",
    width: 640,
    height: 480,
    duration: null,
    filesize: 1000,
    sha256: "ab".repeat(32),
    bucket: "media",
    path: "photo-1.jpg",
    url: "http://localhost:8080/media/photo-1.jpg",
    created: "2024-01-01T00:00:00Z",
    updated: "2024-01-01T00:00:00Z",
    ...over,
  };
}

export function profile(over: Partial<ProfileView> = {}): ProfileView {
  return { name: "default", endpoint: "http://localhost:8080", bucket: "media", prefix: "", is_default: true, has_key: true, ...over };
}

export function settings(over: Partial<Settings> = {}): Settings {
  return {
    concurrency: 4,
    bandwidth_limit: null,
    chunk_size: 8 * 1024 * 1024,
    default_link_expiry: 86400,
    auto_copy: "off",
    notifications: true,
    start_at_login: false,
    theme: "light",
    duplicates: "same_destination",
    ...over,
  };
}
