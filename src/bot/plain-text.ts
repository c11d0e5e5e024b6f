import type { ChoiceOption, OutboundMessage } from "../domain/messages.js";
import { splitMessage } from "../domain/text.js";

/**
 * Platforms without buttons (Zalo Bot) show choices as text: answers as a numbered list the
 * officer replies to by number or label, commands as the words that do the same thing.
 */
const COMMAND_WORDS: Record<string, string> = {
  "cmd:start": "báo cáo",
  "cmd:resume": "tiếp tục",
  "cmd:submit": "nộp",
  "cmd:pause": "tạm dừng",
  "cmd:yes": "có",
  "cmd:no": "không",
  "cmd:view": "xem",
};

/** The word an officer can type instead of pressing a command button. */
export function commandWord(value: string): string | undefined {
  if (value.startsWith("ack:")) return "đã nhận";
  if (value === "cmd:web" || value.startsWith("cmd:web:")) return "web";
  if (value === "prev:same") return "như cũ";
  return COMMAND_WORDS[value];
}

export function isCommandChoice(c: ChoiceOption): boolean {
  return commandWord(c.value) !== undefined;
}

export function renderPlainText(message: OutboundMessage, max: number): string[] {
  const lines = [message.text];
  // A multiple-choice question's toggles are typed as numbers here: its options only, no «Xong».
  const choices = message.multiple
    ? (message.choices ?? []).filter((c) => c.value.startsWith("pick:")).map((c) => ({ value: c.value, label: c.label.replace(/^✓ /, "") }))
    : (message.choices ?? []);
  const answers = choices.filter((c) => !isCommandChoice(c));
  const commands = choices.filter(isCommandChoice);
  if (answers.length > 0) {
    // The question's own hint already says how to answer several ("gõ các số, ví dụ 1, 3").
    lines.push("", ...answers.map((c, i) => `${i + 1}. ${c.label}`), ...(message.multiple ? [] : ["Trả lời bằng số hoặc tên lựa chọn."]));
  }
  if (commands.length > 0) {
    lines.push("", `Gõ ${commands.map((c) => `"${commandWord(c.value)}" (${c.label.replace(/^\P{L}+/u, "")})`).join(" hoặc ")}.`);
  }
  if (message.link) lines.push("", `${message.link.label}: ${message.link.url}`);
  return splitMessage(lines.join("\n"), max);
}
