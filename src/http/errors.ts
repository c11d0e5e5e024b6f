/** Something the caller asked for does not exist (or is not theirs to see: same answer). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}
