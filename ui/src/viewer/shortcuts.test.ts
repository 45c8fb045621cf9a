import { describe, expect, it } from "vitest";
import { SHORTCUTS, commandFor, keyName } from "./shortcuts";

const press = (key: string, over: Partial<{ ctrlKey: boolean; target: unknown }> = {}) =>
  commandFor({ key, ctrlKey: false, metaKey: false, altKey: false, target: { tagName: "BODY" }, ...over });

describe("shortcuts", () => {
  it("maps keys to commands, case-insensitively", () => {
    expect(press(" ")).toBe("toggle");
    expect(press("K")).toBe("toggle");
    expect(press("ArrowLeft")).toBe("back");
    expect(press(">")).toBe("faster");
    expect(press("3")).toBe("focus3");
    expect(press("x")).toBeNull();
  });
  it("leaves typing and browser shortcuts alone", () => {
    expect(press("k", { target: { tagName: "INPUT" } })).toBeNull();
    expect(press("b", { target: { tagName: "TEXTAREA" } })).toBeNull();
    expect(press("l", { ctrlKey: true })).toBeNull();
  });
  it("gives every command one entry with readable keys", () => {
    const commands = SHORTCUTS.map((s) => s.command);
    expect(new Set(commands).size).toBe(commands.length);
    expect(keyName(" ")).toBe("Space");
    expect(keyName("j")).toBe("J");
  });
});
