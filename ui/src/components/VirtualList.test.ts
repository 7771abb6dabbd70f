// VirtualList renders only a window of rows, moves it on scroll, and keeps the full scroll height.
import { fireEvent, render } from "@testing-library/svelte";
import { createRawSnippet, tick } from "svelte";
import { describe, expect, it } from "vitest";
import VirtualList from "./VirtualList.svelte";

const row = createRawSnippet((item: () => number, index: () => number) => ({
  render: () => `<div class="row" data-item="${item()}" data-index="${index()}">row ${item()}</div>`,
}));

function items(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

describe("VirtualList", () => {
  it("renders only the visible rows and overscan out of 10,000", () => {
    const { container } = render(VirtualList<number>, {
      props: { items: items(10_000), rowHeight: 40, overscan: 5, initialHeight: 400, key: (n: number) => n, row, "data-testid": "list" },
    });
    const rows = container.querySelectorAll(".row");
    // 400 px / 40 px = 10 visible + 5 below (none above at the top).
    expect(rows).toHaveLength(15);
    expect(rows[0].getAttribute("data-item")).toBe("1");
    const spacer = container.querySelector<HTMLElement>("[data-testid=list] > div");
    expect(spacer?.style.height).toBe("400000px");
  });

  it("moves the window when scrolled", async () => {
    const { getByTestId, container } = render(VirtualList<number>, {
      props: { items: items(10_000), rowHeight: 40, overscan: 5, initialHeight: 400, key: (n: number) => n, row, "data-testid": "list" },
    });
    const viewport = getByTestId("list");
    viewport.scrollTop = 200_000; // row index 5000 at the top
    await fireEvent.scroll(viewport);
    await tick();
    const rendered = [...container.querySelectorAll(".row")].map((el) => Number(el.getAttribute("data-index")));
    expect(rendered[0]).toBe(4995);
    expect(rendered[rendered.length - 1]).toBe(5014);
    expect(rendered).toHaveLength(20);
    const windowEl = container.querySelector(".row")?.parentElement;
    expect(windowEl?.style.transform).toBe("translateY(199800px)");
  });

  it("shows the empty snippet when there is nothing", () => {
    const empty = createRawSnippet(() => ({ render: () => `<p class="empty">Nothing</p>` }));
    const { container } = render(VirtualList<number>, { props: { items: [], rowHeight: 40, key: (n: number) => n, row, empty } });
    expect(container.querySelector(".empty")?.textContent).toBe("Nothing");
    expect(container.querySelectorAll(".row")).toHaveLength(0);
  });
});
