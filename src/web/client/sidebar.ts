import { byRecent, type Library } from "./conversations.js";
import { h, show } from "./dom.js";

/*
 * The side list of conversations, newest first. On a phone it is a drawer over the chat, opened
 * by the "Chats" button; on a wide screen it is always there.
 */

export interface SidebarActions {
  open(id: string): void;
  remove(id: string): void;
}

export interface SidebarElements {
  list: HTMLUListElement;
  empty: HTMLElement;
  toggle: HTMLButtonElement;
  close: HTMLButtonElement;
}

export interface Sidebar {
  render(lib: Library, runningId: string | null): void;
  /** Open or close the drawer (phones). */
  setOpen(open: boolean): void;
  isOpen(): boolean;
}

export function createSidebar(el: SidebarElements, actions: SidebarActions): Sidebar {
  const setOpen = (open: boolean): void => {
    document.body.dataset.sidebar = open ? "open" : "closed";
    el.toggle.setAttribute("aria-expanded", String(open));
    if (open) el.close.focus();
  };
  el.toggle.addEventListener("click", () => setOpen(document.body.dataset.sidebar !== "open"));
  el.close.addEventListener("click", () => {
    setOpen(false);
    el.toggle.focus();
  });
  setOpen(false);

  return {
    setOpen,
    isOpen: () => document.body.dataset.sidebar === "open",
    render(lib, runningId) {
      const items = byRecent(lib.conversations).map((c) => {
        const current = c.id === lib.currentId;
        const pick = h("button", { class: "conv-open", text: c.title, attrs: { type: "button", title: c.title } });
        if (current) pick.setAttribute("aria-current", "true");
        if (c.id === runningId) pick.append(h("span", { class: "conv-live", text: " · answering" }));
        pick.addEventListener("click", () => actions.open(c.id));
        const del = h("button", { class: "conv-delete", text: "✕", attrs: { type: "button", title: "Delete", "aria-label": `Delete “${c.title}”` } });
        del.addEventListener("click", () => actions.remove(c.id));
        return h("li", { data: { conversationId: c.id } }, pick, del);
      });
      el.list.replaceChildren(...items);
      show(el.empty, items.length === 0);
    },
  };
}
