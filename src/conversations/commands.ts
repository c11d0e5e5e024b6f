import { fold } from "../domain/text.js";

/**
 * Commands in plain Vietnamese (Zalo has no slash commands) and as Telegram slash commands.
 * Buttons carry "cmd:<name>" as their value.
 */
export type Command =
  /** `template`: a report's button ("cmd:start:<templateId>"); `index`: "báo cáo 2", the second of the officer's open reports. */
  | { name: "start"; template?: string; index?: number }
  /** "Điền trên web": a link to the report as a phone web form (a reminder's button names its template). */
  | { name: "web"; template?: string }
  | { name: "view" }
  | { name: "edit"; number?: string }
  | { name: "back" }
  | { name: "pause" }
  | { name: "resume" }
  | { name: "cancel" }
  | { name: "help" }
  | { name: "submit" }
  | { name: "skip" }
  | { name: "menu" }
  | { name: "yes" }
  /** «Xong»: the ticked options of a multiple-choice question are the answer. */
  | { name: "done" }
  | { name: "no" }
  | { name: "urgent" }
  | { name: "update_case"; ref: string }
  | { name: "close_case"; ref: string; outcome: string };

const WORDS: Record<string, Command["name"]> = {
  "bao cao": "start",
  "lam bao cao": "start",
  "bat dau": "start",
  baocao: "start",
  xem: "view",
  "xem lai": "view",
  "quay lai": "back",
  "lui lai": "back",
  "tam dung": "pause",
  "de sau": "pause",
  "tiep tuc": "resume",
  "lam tiep": "resume",
  huy: "cancel",
  "huy bao cao": "cancel",
  "?": "help",
  "giai thich": "help",
  "tro giup": "help",
  "huong dan": "help",
  help: "help",
  nop: "submit",
  "nop bao cao": "submit",
  "bo qua": "skip",
  menu: "menu",
  khan: "urgent",
  "khan cap": "urgent",
  "bao cao khan": "urgent",
  "bao khan": "urgent",
  web: "web",
  "dien web": "web",
  "dien tren web": "web",
  "mo web": "web",
  "lam tren web": "web",
};

const SLASH: Record<string, Command["name"]> = {
  baocao: "start",
  xem: "view",
  sua: "edit",
  quaylai: "back",
  tamdung: "pause",
  tieptuc: "resume",
  huy: "cancel",
  help: "help",
  trogiup: "help",
  nop: "submit",
  boqua: "skip",
  menu: "menu",
  khancap: "urgent",
  web: "web",
};

export function parseCommand(input: { text?: string; choice?: string }): Command | undefined {
  if (input.choice?.startsWith("cmd:")) {
    const [name, arg] = input.choice.slice(4).split(":");
    if (name === "edit") return arg ? { name: "edit", number: arg } : { name: "edit" };
    if (name === "start") return arg ? { name: "start", template: input.choice.slice("cmd:start:".length) } : { name: "start" };
    if (name === "web") return arg ? { name: "web", template: input.choice.slice("cmd:web:".length) } : { name: "web" };
    return { name: name as Command["name"] } as Command;
  }
  if (input.text === undefined) return undefined;
  const raw = input.text.trim();
  const slash = /^\/([a-z]+)(?:@\w+)?(?:\s+(.*))?$/i.exec(raw);
  if (slash) {
    const name = SLASH[slash[1]!.toLowerCase()];
    if (name === "edit") return editOf(slash[2]);
    if (name === "start" && slash[2] !== undefined) return startOf(slash[2]);
    return name ? ({ name } as Command) : undefined;
  }
  if (/^[?？]+$/.test(raw)) return { name: "help" };
  const close = /^(?:đóng|dong|kết thúc|ket thuc)\s+(KC-\d{4}-\d{4,})\s*[:\-–]?\s*(.*)$/iu.exec(raw.normalize("NFC"));
  if (close) return { name: "close_case", ref: close[1]!.toUpperCase(), outcome: close[2]!.trim() };
  const f = fold(raw);
  const update = /^(?:cap nhat|\/capnhat)\s+(kc-\d{4}-\d{4,})$/.exec(f);
  if (update) return { name: "update_case", ref: update[1]!.toUpperCase() };
  const edit = /^(?:sua|chinh sua|doi)(?:\s+cau)?\s*(\d+(?:\.\d+)?)?$/.exec(f);
  if (edit) return editOf(edit[1]);
  const numbered = /^(?:bao cao|lam bao cao|baocao)\s*(?:so\s*)?(\d{1,2})$/.exec(f);
  if (numbered) return { name: "start", index: Number(numbered[1]) };
  const name = WORDS[f];
  return name ? ({ name } as Command) : undefined;
}

function startOf(arg: string): Command {
  const n = /^\s*(\d{1,2})\s*$/.exec(arg);
  return n ? { name: "start", index: Number(n[1]) } : { name: "start" };
}

function editOf(arg: string | undefined): Command {
  const n = arg?.trim();
  return n && /^\d+(\.\d+)?$/.test(n) ? { name: "edit", number: n } : { name: "edit" };
}
