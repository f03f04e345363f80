import { useEffect, useState } from "preact/hooks";
import { api, ApiError, signOut, type Account } from "./api";
import { Loading, useLoad } from "./ui";
import { SignedOut } from "./pages/signIn";
import { ConfirmEmail, ConfirmSignIn } from "./pages/confirm";
import { PolicyPage } from "./pages/policy";
import { Overview } from "./pages/overview";
import { Keys } from "./pages/keys";
import { Usage } from "./pages/usage";
import { Billing } from "./pages/billing";
import { DataRights } from "./pages/data";
import { Settings } from "./pages/settings";
import { ADMIN_PAGES } from "./pages/admin";

/** The view named after `#` (the console never puts state in a path the server would see). */
function useHashRoute(): string {
  const read = () => location.hash.replace(/^#/, "").split("?")[0] || "/";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** The pages an emailed link opens are chosen by path; everything else is the console. */
export function App() {
  switch (location.pathname) {
    case "/auth/verify":
      return <ConfirmSignIn />;
    case "/account/email/verify":
      return <ConfirmEmail />;
    case "/privacy":
      return <PolicyPage />;
    default:
      return <Console />;
  }
}

async function whoAmI(): Promise<Account | null> {
  try {
    return await api<Account>("GET", "/account");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

function Console() {
  const me = useLoad(whoAmI);
  const route = useHashRoute();
  if (me.data === undefined)
    return (
      <main>
        <Loading error={me.error} />
      </main>
    );
  if (me.data === null) return <SignedOut route={route} />;
  return <Layout me={me.data} route={route} />;
}

interface Page {
  path: string;
  title: string;
  view: (me: Account) => preact.JSX.Element;
}

const PAGES: Page[] = [
  { path: "/", title: "Overview", view: (me) => <Overview me={me} /> },
  { path: "/keys", title: "Keys", view: (me) => <Keys me={me} /> },
  { path: "/usage", title: "Usage", view: () => <Usage /> },
  { path: "/billing", title: "Billing", view: () => <Billing /> },
  { path: "/data", title: "Privacy", view: (me) => <DataRights me={me} /> },
  { path: "/settings", title: "Settings", view: (me) => <Settings me={me} /> },
];

function Layout({ me, route }: { me: Account; route: string }) {
  const pages = me.role === "admin" ? [...PAGES, ...ADMIN_PAGES] : PAGES;
  const page = pages.find((p) => p.path === route);
  useEffect(() => {
    document.title = `${page?.title ?? "Not found"} · Kriora console`;
  }, [page]);
  const skip = (e: Event) => {
    e.preventDefault();
    document.getElementById("main")?.focus();
  };
  return (
    <>
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link is an anchor by convention; the hash router needs its click handled */}
      <a class="skip" href="#/" onClick={skip}>
        Skip to content
      </a>
      <header>
        <span class="brand">Kriora</span>
        <nav aria-label="Console">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <a href={`#${p.path}`} aria-current={p === page ? "page" : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="signed-in-email">{me.email}</span>
          <button type="button" onClick={() => void signOut(false)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{page?.title ?? "Not found"}</h1>
        {page ? page.view(me) : <p>There is no such page in your console.</p>}
      </main>
    </>
  );
}
