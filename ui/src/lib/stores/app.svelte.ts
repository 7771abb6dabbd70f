// App-wide state: status, profiles, settings, the current view, and change counters views refetch on.
import * as api from "../api";
import type { AppStatus } from "../bindings/AppStatus";
import type { ProfileView } from "../bindings/ProfileView";
import type { Settings } from "../bindings/Settings";

export const VIEWS = ["queue", "history", "requests", "watches", "settings"] as const;
export type ViewName = (typeof VIEWS)[number];

export function isView(value: string): value is ViewName {
  return (VIEWS as readonly string[]).includes(value);
}

class AppStore {
  status = $state.raw<AppStatus | null>(null);
  profiles = $state.raw<ProfileView[]>([]);
  settings = $state.raw<Settings | null>(null);
  view = $state<ViewName>("queue");
  /** True once app_status, the profiles and the settings have loaded (the queue keeps loading in its view). */
  ready = $state(false);
  /**
   * Bumped by history_changed / requests_changed / watches_changed events: a view reads the
   * counter inside an $effect and refetches whenever it moves.
   */
  revisions = $state({ history: 0, requests: 0, watches: 0 });

  readonly defaultProfile = $derived(this.profiles.find((p) => p.is_default) ?? this.profiles[0] ?? null);

  async loadProfiles(): Promise<ProfileView[]> {
    this.profiles = await api.listProfiles();
    return this.profiles;
  }

  async loadSettings(): Promise<Settings> {
    this.settings = await api.getSettings();
    return this.settings;
  }

  async loadStatus(): Promise<AppStatus> {
    this.status = await api.appStatus();
    return this.status;
  }

  /** Replaces one profile in the list after a command returned its new view. */
  putProfile(view: ProfileView): void {
    const others = this.profiles.filter((p) => p.name !== view.name);
    const list = view.is_default ? others.map((p) => ({ ...p, is_default: false })) : others;
    this.profiles = [...list, view].sort((a, b) => a.name.localeCompare(b.name));
  }
}

export const app = new AppStore();
