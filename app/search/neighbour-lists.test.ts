import { describe, expect, it } from "vitest";
import { NeighbourLists } from "./neighbour-lists";

const entries = (row: NeighbourLists, r: number) => Array.from({ length: row.count(r) }, (_, i) => [row.labelAt(r, i), row.scoreAt(r, i)]);
const live = () => true;

describe("NeighbourLists", () => {
  it("a row is unknown until set, keeps at most `slots` entries, and is forgotten by clear", () => {
    const lists = new NeighbourLists(3, 2);
    expect(lists.known(0)).toBe(false);
    lists.set(0, [
      { label: 5, score: 0.9 },
      { label: 6, score: 0.8 },
      { label: 7, score: 0.7 },
      { label: 8, score: 0.6 },
    ]);
    expect(entries(lists, 0)).toEqual([[5, expect.closeTo(0.9)], [6, expect.closeTo(0.8)], [7, expect.closeTo(0.7)]]);
    lists.set(4, []); // beyond the capacity: grows
    expect(lists.known(4)).toBe(true);
    expect(lists.count(4)).toBe(0);
    lists.clear(0);
    expect(lists.known(0)).toBe(false);
  });

  it("offer takes a better label in order, drops the last, ignores a worse one, a listed one and unknown rows", () => {
    const lists = new NeighbourLists(3, 4);
    lists.set(1, [
      { label: 5, score: 0.9 },
      { label: 6, score: 0.5 },
      { label: 7, score: 0.3 },
    ]);
    lists.offer(1, 9, 0.6, live);
    expect(entries(lists, 1).map((e) => e[0])).toEqual([5, 9, 6]);
    lists.offer(1, 10, 0.1, live);
    lists.offer(1, 5, 0.99, live);
    expect(entries(lists, 1).map((e) => e[0])).toEqual([5, 9, 6]);
    lists.offer(2, 5, 1, live);
    expect(lists.known(2)).toBe(false);
  });

  it("a full list drops gone labels before it compares, so a worse live label still gets in", () => {
    const lists = new NeighbourLists(3, 2);
    lists.set(0, [
      { label: 5, score: 0.9 },
      { label: 6, score: 0.8 },
      { label: 7, score: 0.7 },
    ]);
    lists.offer(0, 9, 0.1, (l) => l !== 6);
    expect(entries(lists, 0).map((e) => e[0])).toEqual([5, 7, 9]);
  });

  it("remap renumbers rows and entries and drops gone labels", () => {
    const lists = new NeighbourLists(3, 8);
    lists.set(2, [
      { label: 4, score: 0.9 },
      { label: 3, score: 0.8 },
      { label: 6, score: 0.7 },
    ]);
    lists.set(3, [{ label: 2, score: 0.8 }]);
    lists.set(5, [{ label: 2, score: 0.5 }]);
    const oldToNew = Int32Array.from([-1, -1, 0, 1, -1, -1, 2]);
    const next = lists.remap(oldToNew, 4);
    expect(entries(next, 0)).toEqual([[1, expect.closeTo(0.8)], [2, expect.closeTo(0.7)]]);
    expect(entries(next, 1)).toEqual([[0, expect.closeTo(0.8)]]);
    expect(next.known(2)).toBe(false); // row 6 had no list
  });

  it("views cover the rows asked for, and reading them back restores the lists", () => {
    const lists = new NeighbourLists(2, 4);
    lists.set(0, [{ label: 1, score: 0.5 }]);
    lists.set(1, [
      { label: 0, score: 0.5 },
      { label: 2, score: 0.25 },
    ]);
    const copy = new NeighbourLists(2, 4);
    const from = lists.views(3);
    const into = copy.views(3);
    expect(from.map((b) => b.length)).toEqual([3, 24, 24]);
    from.forEach((b, i) => b.copy(into[i]));
    expect(entries(copy, 1)).toEqual(entries(lists, 1));
    expect(copy.known(2)).toBe(false);
  });
});
