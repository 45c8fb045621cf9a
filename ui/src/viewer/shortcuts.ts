// The player's keyboard shortcuts, in one table: the key handler reads it and the help panel
// shows it, so the two never disagree.
export type Command =
  | "toggle"
  | "back"
  | "forward"
  | "slower"
  | "faster"
  | "prevMarker"
  | "nextMarker"
  | "skipSilence"
  | "bookmark"
  | "mute"
  | "layoutAll"
  | "focus1"
  | "focus2"
  | "focus3"
  | "focus4"
  | "help";

export const SHORTCUTS: { keys: string[]; command: Command; text: string }[] = [
  { keys: [" ", "k"], command: "toggle", text: "Play / pause" },
  { keys: ["ArrowLeft", "j"], command: "back", text: "Back 10 s" },
  { keys: ["ArrowRight", "l"], command: "forward", text: "Forward 10 s" },
  { keys: ["<", ","], command: "slower", text: "Slower (down to 0.5×)" },
  { keys: [">", "."], command: "faster", text: "Faster (up to 3×)" },
  { keys: ["["], command: "prevMarker", text: "Previous event or bookmark" },
  { keys: ["]"], command: "nextMarker", text: "Next event or bookmark" },
  { keys: ["s"], command: "skipSilence", text: "Skip silence on / off" },
  { keys: ["b"], command: "bookmark", text: "Bookmark this moment" },
  { keys: ["m"], command: "mute", text: "Mute / unmute" },
  { keys: ["0"], command: "layoutAll", text: "All monitors side by side" },
  { keys: ["1"], command: "focus1", text: "Enlarge monitor 1" },
  { keys: ["2"], command: "focus2", text: "Enlarge monitor 2" },
  { keys: ["3"], command: "focus3", text: "Enlarge monitor 3" },
  { keys: ["4"], command: "focus4", text: "Enlarge monitor 4" },
  { keys: ["?"], command: "help", text: "Show these shortcuts" },
];

const KEY_NAMES: Record<string, string> = { " ": "Space", ArrowLeft: "←", ArrowRight: "→" };

export function keyName(key: string): string {
  return KEY_NAMES[key] ?? key.toUpperCase();
}

/** The command for a key press, unless it was typed into a field or has a modifier. */
export function commandFor(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; target: unknown }): Command | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const t = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  const tag = t?.tagName?.toLowerCase();
  if (tag === "input" || tag === "textarea" || tag === "select" || t?.isContentEditable) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const found = SHORTCUTS.find((s) => s.keys.includes(key) || s.keys.includes(e.key));
  return found ? found.command : null;
}
