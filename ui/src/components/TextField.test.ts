// The shared form fields: the line under the input (error, else hint) tied to it for screen readers,
// with the ids the views and the end-to-end test rely on.
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import TextField from "./TextField.svelte";
import NumberUnitField from "./settings/NumberUnitField.svelte";

describe("TextField", () => {
  it("ties its hint to the input, and lets an error take the hint's place", async () => {
    const { rerender } = render(TextField, {
      props: { label: "Bucket", value: "", messageId: "b-msg", hint: "Empty: the profile's bucket.", "data-testid": "bucket" },
    });
    const input = screen.getByTestId("bucket");
    expect(screen.getByLabelText(/^Bucket/)).toBe(input);
    expect(input.getAttribute("aria-describedby")).toBe("b-msg");
    expect(input.getAttribute("aria-invalid")).toBeNull();
    expect(document.getElementById("b-msg")?.className).toBe("field-hint");

    await rerender({ error: "A bucket name has 3 to 63 characters." });
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("b-msg")?.className).toBe("field-error");
    expect(document.getElementById("b-msg")?.textContent).toBe("A bucket name has 3 to 63 characters.");
  });

  it("points at nothing when it has nothing to say", () => {
    render(TextField, { props: { label: "Prefix", value: "in", "data-testid": "prefix" } });
    const input = screen.getByTestId("prefix") as HTMLInputElement;
    expect(input.value).toBe("in");
    expect(input.getAttribute("aria-describedby")).toBeNull();
  });
});

describe("NumberUnitField", () => {
  it("labels the number, names the unit select and offers every unit", () => {
    render(NumberUnitField, {
      props: {
        label: "Chunk size",
        id: "set-chunk",
        testid: "settings-chunk-size",
        unitTestid: "settings-chunk-unit",
        unitLabel: "Chunk size unit",
        units: { KiB: 1024, MiB: 1048576 },
        value: 8,
        unit: "MiB",
        hint: "At least 64 KiB.",
      },
    });
    const input = screen.getByTestId("settings-chunk-size") as HTMLInputElement;
    expect(screen.getByLabelText("Chunk size")).toBe(input);
    expect(input.value).toBe("8");
    expect(input.getAttribute("aria-describedby")).toBe("set-chunk-help");
    expect(document.getElementById("set-chunk-help")?.textContent).toBe("At least 64 KiB.");
    const unit = screen.getByRole("combobox", { name: "Chunk size unit" }) as HTMLSelectElement;
    expect(unit.dataset.testid).toBe("settings-chunk-unit");
    expect([...unit.options].map((o) => o.value)).toEqual(["KiB", "MiB"]);
    expect(unit.value).toBe("MiB");
  });
});
