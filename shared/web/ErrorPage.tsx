import { Layout, SearchForm } from './Layout.js';

const TITLES: Record<number, string> = {
  400: 'That request could not be read',
  404: 'Nothing here',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/** Any error of a page: what happened, in the error's own words, and a way on (the search box). */
export function ErrorPage({ status, message }: { status: number; message: string }) {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'That did not work');
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
      {status === 404 ? <p>The package may have been renamed, or never existed here. Search for it:</p> : <p>Try a search instead:</p>}
      <SearchForm id="error-search" label="Search packages and rules" />
      <p>
        Or go back to <a href="/">the catalogue's home page</a>.
      </p>
    </Layout>
  );
}
