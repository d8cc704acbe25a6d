import type { CatalogueOverview } from '../packages/Package.js';
import { formatCount } from './format.js';
import { Layout, SearchForm } from './Layout.js';
import { PackageList } from './parts.js';

export function HomePage({ overview }: { overview: CatalogueOverview }) {
  return (
    <Layout title="RuleStack" description="Find rule packages for coding agents, read their rules, and install them with rfh.">
      <section class="hero" aria-labelledby="home-title">
        <h1 id="home-title">Rule packages for coding agents</h1>
        <p class="lead">Find rules, read exactly what your agent will read, and install them with <code>rfh</code>.</p>
        <SearchForm id="home-search" label="Search packages and the text of their rules" />
        <div class="stats">
          <p>
            <strong>{formatCount(overview.packages)}</strong> packages
          </p>
          <p>
            <strong>{formatCount(overview.versions)}</strong> versions
          </p>
        </div>
      </section>
      <div class="columns">
        <section aria-labelledby="recent-title">
          <h2 id="recent-title">Recently published</h2>
          <PackageList rows={overview.recent} label="Recently published packages" />
        </section>
        <section aria-labelledby="popular-title">
          <h2 id="popular-title">Most downloaded</h2>
          <PackageList rows={overview.popular} label="Most downloaded packages" />
        </section>
      </div>
    </Layout>
  );
}

export const homePage = (overview: CatalogueOverview) => <HomePage overview={overview} />;
