/**
 * The one script every page loads (/assets/baocao.js): with a CSP that forbids inline handlers,
 * a form that asks before it acts says so with data-confirm="question" instead of onsubmit.
 */
export const PAGE_SCRIPT = `document.addEventListener("submit", (e) => {
  const form = e.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) e.preventDefault();
});
`;
