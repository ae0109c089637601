import { Layout } from "./layout.js";

/** The admin login form (POST /admin/login). */
export function LoginPage(props: { failed: boolean; what: string; lockedSeconds?: number }) {
  return (
    <Layout title="Sign in · staged reasoning gateway" page="login">
      <form class="login" method="post" action="/admin/login">
        <h1>Sign in to the dashboard</h1>
        <label>
          {props.what}
          <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
        </label>
        <button class="primary" type="submit">
          Sign in
        </button>
        {props.failed && (
          <p class="error-text" role="alert">
            That did not match. Try again.
          </p>
        )}
        {props.lockedSeconds !== undefined && (
          <p class="error-text" role="alert">
            Too many sign-in attempts. Try again in {props.lockedSeconds} s.
          </p>
        )}
      </form>
    </Layout>
  );
}
