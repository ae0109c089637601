import { h } from "./dom.js";

/**
 * Put text on the clipboard. The async Clipboard API needs a secure context (https or
 * localhost); on plain http elsewhere the older execCommand path still works.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "offscreen", attrs: { readonly: "" } });
    area.value = text;
    document.body.append(area);
    area.select();
    // Deprecated but still the only fallback outside a secure context.
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/** A button that copies `text()` and says so for a moment ("Copied" / "Copy failed"). */
export function copyButton(label: string, text: () => string, extraClass = ""): HTMLButtonElement {
  const button = h("button", { class: `copy ${extraClass}`.trim(), text: label, attrs: { type: "button", "aria-label": label } });
  let timer: number | undefined;
  button.addEventListener("click", () => {
    void copyText(text()).then((ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      button.dataset.copied = String(ok);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = label;
        delete button.dataset.copied;
      }, 1500);
    });
  });
  return button;
}
