// Resolves the theme setting (system/light/dark) to the one in force, following the OS while on "system".
import type { Theme } from "./bindings/Theme";

const QUERY = "(prefers-color-scheme: dark)";

class SystemTheme {
  dark = $state(false);

  constructor() {
    // jsdom and very old engines have no matchMedia: light is the safe reading.
    if (typeof window === "undefined" || typeof window.matchMedia !== "function") return;
    const media = window.matchMedia(QUERY);
    this.dark = media.matches;
    media.addEventListener("change", (e) => {
      this.dark = e.matches;
    });
  }
}

const system = new SystemTheme();

export function resolveTheme(theme: Theme | undefined): "light" | "dark" {
  if (theme === "light" || theme === "dark") return theme;
  return system.dark ? "dark" : "light";
}
