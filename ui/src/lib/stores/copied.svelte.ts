// The text the UI last put on the clipboard, mirrored into the DOM for the end-to-end test.
class CopiedStore {
  text = $state("");
}

export const copied = new CopiedStore();
