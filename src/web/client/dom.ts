/*
 * A few DOM helpers for the page scripts. Elements are built with createElement and textContent
 * (never HTML strings), so nothing a model or a user typed can become markup — the one exception
 * is Markdown, which goes through DOMPurify (markdown.ts).
 */

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  data?: Record<string, string>;
}

/** `h("div", { class: "x" }, child, "text")`: an element with classes, attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (colours come from classes: the CSP forbids style attributes). */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The element with this id, checked to be of the expected kind; a missing one is a page bug. */
export function byId<T extends Element>(id: string, kind: abstract new (...args: never[]) => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`page bug: #${id} is missing or not a ${kind.name}`);
  return el;
}

/** Show or hide with the `hidden` attribute (styles stay in the stylesheet). */
export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}
