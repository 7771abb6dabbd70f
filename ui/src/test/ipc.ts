// The mocked IPC the tests run against: one handler answers every command, and each call is kept, in order.
import { mockIPC } from "@tauri-apps/api/mocks";
import { flushSync } from "svelte";

/** What a command was called with (undefined when it took nothing). */
export type Args = Record<string, unknown>;

/** Every IPC call a test made, in order. */
export type Call = [command: string, args: Args | undefined];

export class IpcRecorder {
  readonly calls: Call[] = [];

  /** Mocks the IPC afresh (forgetting earlier calls); `reply` answers, or throws the command's error. */
  mock(reply: (command: string, args: Args) => unknown = () => null): void {
    this.calls.length = 0;
    mockIPC((command, args) => {
      this.calls.push([command, args as Args | undefined]);
      return reply(command, args as Args);
    });
  }

  /** The arguments of each call to one command, in order. */
  args(command: string): Args[] {
    return this.calls.filter(([c]) => c === command).map(([, a]) => a ?? {});
  }

  /** The commands called, in order. */
  names(): string[] {
    return this.calls.map(([c]) => c);
  }
}

/** Lets the answers to the commands a click started (and what they start in turn) arrive and render. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
  flushSync();
}
