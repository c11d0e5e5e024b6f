/** A form field as sent: absent, one value or several (checkboxes, repeated names). */
export const all = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A form field's first value as text; "" when absent or a file. */
export const first = (v: unknown): string => {
  const x = all(v)[0];
  return typeof x === "string" ? x : "";
};

/** What stops a form from being accepted, listed above it. */
export function Problems(props: { errors: readonly string[] | undefined }) {
  if (!props.errors?.length) return null;
  return (
    <div role="alert" class="missing">
      <ul>
        {props.errors.map((e) => (
          <li>{e}</li>
        ))}
      </ul>
    </div>
  );
}
