// The layering of the code (docs/ARCHITECTURE.md), checked by `npm test` (npm run lint:deps):
// route table -> functions -> middleware (shared/http) -> use cases and domain -> ports
// <- adapters, with the runtime wiring (shared/runtime) choosing adapters for ports. The web
// catalogue's pages render (shared/web) what its use cases (shared/catalogue) gather.

/** Use cases and domain modules: they know nothing of HTTP, AWS or SQL drivers. */
const DOMAIN = '^shared/(auth|packages|registries|users|admin|schemas|sideEffects|catalogue)/|^shared/(errors|validation|config|health)[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'only-pages-render',
      comment: 'Preact and the page components belong to the page functions alone: an API function never bundles them.',
      severity: 'error',
      from: { path: '^(shared|functions)/', pathNot: '^shared/web/|^functions/pages/' },
      to: { path: '^shared/web/' },
    },
    {
      name: 'pages-without-stores',
      comment: 'Pages render what the catalogue use cases gathered: no adapter, no wiring.',
      severity: 'error',
      from: { path: '^shared/web/' },
      to: { path: '^shared/(adapters|runtime)/|^scripts/' },
    },
    {
      name: 'domain-without-http',
      comment: 'Use cases answer with values and ApiErrors; the middleware in shared/http turns them into HTTP. A use case never imports it.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^shared/http/' },
    },
    {
      name: 'domain-without-adapters',
      comment: 'Use cases reach stores only through ports (shared/ports); the runtime picks the adapters.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'ports-are-interfaces',
      comment: 'A port names what a use case needs in domain terms: no HTTP, no adapters, no wiring, not the route table.',
      severity: 'error',
      from: { path: '^shared/ports/' },
      to: { path: '^shared/(http|adapters|runtime)/|^shared/routes[.]ts$' },
    },
    {
      name: 'adapters-serve-no-http',
      comment: 'Adapters implement ports; HTTP is the middleware’s business.',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: '^shared/http/|^functions/' },
    },
    {
      name: 'functions-are-thin',
      comment: 'A route function names its route and calls a use case; it never builds or touches an adapter. (The SQS consumer in functions/queues reads its messages with the queue adapter’s parser.)',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/queues/' },
      to: { path: '^shared/adapters/|^shared/runtime/awsDependencies[.]ts$' },
    },
    {
      name: 'lambda-code-without-local-stores',
      comment: 'PGlite, dynalite and the folder store are for npm start: nothing a Lambda bundles may import scripts/.',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'rule-scanner-is-pure',
      comment: 'The rule scanner (shared/safety) takes text and returns findings: no HTTP, stores, wiring or scripts.',
      severity: 'error',
      from: { path: '^shared/safety/' },
      to: { path: '^shared/(http|adapters|runtime|ports)/|^shared/routes[.]ts$|^functions/|^scripts/' },
    },
    {
      name: 'rule-scanner-without-io',
      comment: 'No Node built-in (files, network, processes) in the rule scanner: it runs the same in a browser, a Lambda or a test.',
      severity: 'error',
      from: { path: '^shared/safety/' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
