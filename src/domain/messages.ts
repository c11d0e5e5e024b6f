/** The platforms an officer can be reached on (the web simulator is one, for trying baocao out). */
export const channels = ["telegram", "zalo_bot", "zalo_oa", "simulator"] as const;
export type Channel = (typeof channels)[number];

/** What a channel adapter hands to the engine, whatever the platform. */
export interface InboundMessage {
  channel: Channel;
  /** The platform's user id of the sender. */
  externalUserId: string;
  /** Where replies go (private chat id). */
  chatId: string;
  /** The platform's unique id of this event; a second delivery with the same key is ignored. */
  dedupeKey: string;
  /** Display name as the platform knows it (only for logs of unregistered users, never stored). */
  displayName?: string;
  text?: string;
  /** A button press: the value of an offered choice. */
  choice?: string;
  /**
   * A shared contact card: phone plus the platform user id the card belongs to. `unconfirmed`:
   * the platform does not vouch that the number is the sender's (Zalo OA's form can be typed in),
   * so it only asks for a link that a supervisor or the officer's invite code confirms; `name` is
   * the name sent with it.
   */
  contact?: { phone: string; userId?: string; unconfirmed?: boolean; name?: string };
  /** A file, photo, sticker or location that carries no text. */
  attachment?: { kind: "photo" | "document" | "sticker" | "location" | "voice" | "other"; fileId?: string };
  /** Deep-link payload (Telegram /start <code>). */
  startPayload?: string;
  /** The sender edited an earlier message (Telegram): answered, never applied. */
  edited?: boolean;
}

export interface ChoiceOption {
  value: string;
  label: string;
}

/** What the engine asks a channel to show; each adapter renders it within its own limits. */
export interface OutboundMessage {
  text: string;
  choices?: ChoiceOption[];
  /**
   * The choices are toggles of a multiple-choice question (and «Xong»): a platform without
   * buttons lists only the options, to be typed as numbers ("1, 3").
   */
  multiple?: boolean;
  /** Ask the platform for the user's phone (Telegram contact button). */
  requestContact?: boolean;
  /** Remove a reply keyboard shown earlier. */
  removeKeyboard?: boolean;
  /**
   * A page to open: on Telegram a Web App button when the address is https, elsewhere (and on
   * Telegram in development) the address written under the text.
   */
  link?: { url: string; label: string };
  /** No link preview: a preview fetch would spend a single-use link (sign-in). */
  disablePreview?: boolean;
}
