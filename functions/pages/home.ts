import { homeView } from '../../shared/catalogue/catalogue.js';
import { definePage } from '../../shared/web/definePage.js';
import { homePage } from '../../shared/web/HomePage.js';

export const handler = definePage({
  route: 'GET /',
  render: async ({ deps }) => homePage(await homeView(deps)),
});
