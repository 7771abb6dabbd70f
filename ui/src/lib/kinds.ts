// File kinds: guessing one from a local path (transfers carry no MIME type) and its icon and label.
import type { FileKind } from "./bindings/FileKind";
import type { IconName } from "../components/Icon.svelte";

const EXTENSIONS: Record<Exclude<FileKind, "other">, string[]> = {
  image: ["png", "jpg", "jpeg", "gif", "webp", "avif", "bmp", "tif", "tiff", "heic", "heif", "svg", "ico"],
  video: ["mp4", "m4v", "mov", "webm", "mkv", "avi", "wmv", "mpg", "mpeg", "ogv", "3gp"],
  audio: ["mp3", "m4a", "aac", "wav", "flac", "ogg", "oga", "opus", "wma", "aiff"],
  document: ["pdf", "txt", "md", "rtf", "doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "csv", "json", "html", "epub"],
  archive: ["zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar"],
};

const BY_EXTENSION = new Map<string, FileKind>(
  Object.entries(EXTENSIONS).flatMap(([kind, exts]) => exts.map((ext) => [ext, kind as FileKind] as const)),
);

export function kindFromPath(path: string): FileKind {
  const dot = path.lastIndexOf(".");
  const sep = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (dot <= sep + 1) return "other";
  return BY_EXTENSION.get(path.slice(dot + 1).toLowerCase()) ?? "other";
}

const ICONS: Record<FileKind, IconName> = {
  image: "image",
  video: "video",
  audio: "audio",
  document: "document",
  archive: "archive",
  other: "file",
};

export function kindIcon(kind: FileKind): IconName {
  return ICONS[kind];
}

const LABELS: Record<FileKind, string> = {
  image: "Image",
  video: "Video",
  audio: "Audio",
  document: "Document",
  archive: "Archive",
  other: "Other",
};

export function kindLabel(kind: FileKind): string {
  return LABELS[kind];
}

export const FILE_KINDS: readonly FileKind[] = ["image", "video", "audio", "document", "archive", "other"];
