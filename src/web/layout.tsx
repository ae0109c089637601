import type { Child } from "hono/jsx";

/**
 * The frame both pages share. Scripts and styles come from `/assets` (the CSP forbids inline
 * ones); `data-page` lets the stylesheet lay each page out.
 */
export function Layout(props: { title: string; heading?: string; page: "playground" | "admin" | "login"; script?: string; nav?: Child; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        {/* An empty icon: otherwise the browser asks for /favicon.ico and logs the 404. */}
        <link rel="icon" href="data:," />
        {props.script && <script src={props.script} defer />}
      </head>
      <body data-page={props.page}>
        <header class="top">
          <a class="brand" href="/">
            Staged reasoning gateway
          </a>
          <nav>
            <a href="/" aria-current={props.page === "playground" ? "page" : undefined}>
              Playground
            </a>
            <a href="/admin" aria-current={props.page === "playground" ? undefined : "page"}>
              Admin
            </a>
            {props.nav}
          </nav>
        </header>
        <main>
          {/* One h1 per page for screen readers; the brand and the nav already say it to the eye. */}
          {props.heading && <h1 class="visually-hidden">{props.heading}</h1>}
          {props.children}
        </main>
      </body>
    </html>
  );
}
