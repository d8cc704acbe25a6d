/**
 * The pages' only script, inline (allowed by its hash in the CSP): progressive enhancement.
 * Without it every page still works; copy buttons stay hidden, and the install line is plain
 * selectable text.
 */
export const ENHANCEMENT_SCRIPT = `for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
}`;
