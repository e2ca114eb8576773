import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('webhook settings are validated at start-up', async (t) => {
  const base = { DATABASE_PATH: ':memory:' }
  t.match(loadConfig(base), { webhooksAllowPrivateNetworks: false, siteArticleUrl: undefined })
  t.match(loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', SITE_ARTICLE_URL: 'https://spa.example/blog/{slug}' }), {
    webhooksAllowPrivateNetworks: true,
    siteArticleUrl: 'https://spa.example/blog/{slug}',
  })
  t.throws(() => loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'yes' }), ConfigError)
  for (const bad of ['https://spa.example/blog/', 'ftp://spa.example/{slug}', 'spa.example/{slug}', 'https://user@spa.example/{slug}']) {
    t.throws(() => loadConfig({ ...base, SITE_ARTICLE_URL: bad }), /SITE_ARTICLE_URL/, bad)
  }
})
