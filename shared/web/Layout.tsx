import type { ComponentChildren } from 'preact';
import { ENHANCEMENT_SCRIPT } from './enhance.js';
import { STYLESHEET } from './styles.js';

export function SearchForm({ id, q = '', label = 'Search packages and rules' }: { id: string; q?: string; label?: string }) {
  return (
    <form class="search" role="search" action="/search" method="get">
      <label for={id} class="visually-hidden">
        {label}
      </label>
      <input id={id} name="q" type="search" value={q} placeholder="Search packages and the rules inside them" maxLength={256} />
      <button type="submit">Search</button>
    </form>
  );
}

/** Every page: the header with the site's search box, the page's main content, the footer. */
export function Layout({ title, description, q, children }: { title: string; description?: string; q?: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title === 'RuleStack' ? title : `${title} · RuleStack`}</title>
        {description ? <meta name="description" content={description} /> : null}
        <link rel="icon" href="data:," />
        <style dangerouslySetInnerHTML={{ __html: STYLESHEET }} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site">
          <div class="wrap">
            <a class="brand" href="/">
              RuleStack
            </a>
            <SearchForm id="site-search" q={q} />
          </div>
        </header>
        <main id="main" class="wrap">
          {children}
        </main>
        <footer class="site">
          <div class="wrap">
            Rule packages for coding agents, installed with <code>rfh</code>. Every page has its JSON in the{' '}
            <a href="/v1/openapi.json">API</a>.
          </div>
        </footer>
        <script dangerouslySetInnerHTML={{ __html: ENHANCEMENT_SCRIPT }} />
      </body>
    </html>
  );
}
