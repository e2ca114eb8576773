import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import { baseUrl, linkDependencies } from '../http/base-url.js'
import { PREPARED_ROUTE } from '../http/prepared.js'
import { problemResponses } from '../http/responses.js'

const LINKSET = 'application/linkset+json'
const LINKSET_WITH_PROFILE = `${LINKSET}; profile="https://www.rfc-editor.org/info/rfc9727"`

const Target = Type.Object({ href: Type.String({ format: 'uri' }), type: Type.Optional(Type.String()) }, { additionalProperties: false })
const Linkset = Type.Object(
  {
    linkset: Type.Array(
      Type.Object(
        {
          anchor: Type.String({ format: 'uri', description: 'The API the links describe.' }),
          'service-desc': Type.Array(Target),
          'service-doc': Type.Array(Target),
          status: Type.Array(Target),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'An RFC 9264 linkset naming this API, its OpenAPI documents, its docs and its readiness.' },
)

const ApiRoot = Type.Object(
  {
    name: Type.String({ examples: ['Spa Content API'] }),
    links: Type.Object(
      {
        api: Type.String({ description: 'The API\'s routes start here.', examples: ['/v1'] }),
        docs: Type.String({ description: 'The interactive documentation.', examples: ['/docs'] }),
        openapi: Type.String({ description: 'The OpenAPI document (also as `/openapi.yaml`).', examples: ['/openapi.json'] }),
        apiCatalog: Type.String({ description: 'The RFC 9727 API catalog.', examples: ['/.well-known/api-catalog'] }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'Where to start: the API, its documentation, its OpenAPI document and its catalog, as paths on this server.' },
)

export const API_ROOT: Static<typeof ApiRoot> = {
  name: 'Spa Content API',
  links: { api: '/v1', docs: '/docs', openapi: '/openapi.json', apiCatalog: '/.well-known/api-catalog' },
}

export interface DiscoveryRoutesOptions {
  /** The base of the catalog's links; the request's own scheme and host when unset. */
  publicUrl: string | undefined
}

/** RFC 9727: `/.well-known/api-catalog` lets a client find the API and its description from the host alone. */
export const discoveryRoutes: FastifyPluginAsyncTypebox<DiscoveryRoutesOptions> = async (app, { publicUrl }) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'getApiRoot',
        summary: 'Where to start',
        description: 'Links to the API, its documentation (`/docs`), its OpenAPI document (`/openapi.json`) and its API catalog, for whoever opens the server\'s address.',
        tags: ['Operations'],
        response: { 200: ApiRoot },
      },
    },
    async () => API_ROOT,
  )

  app.get(
    '/.well-known/api-catalog',
    {
      ...PREPARED_ROUTE,
      schema: {
        operationId: 'getApiCatalog',
        summary: 'API catalog',
        description:
          'Where the API, its OpenAPI description and its documentation are (RFC 9727); sent as `application/linkset+json` with the RFC 9727 profile. Links are absolute: under `PUBLIC_URL` when the server sets it, else under the scheme and host of the request (which must then have a well-formed `Host`).',
        tags: ['Operations'],
        response: { 200: { description: 'The API catalog.', content: { [LINKSET]: { schema: Linkset } } }, ...problemResponses('bad-request') },
      },
    },
    async (request, reply) =>
      reply.sendPrepared(() => {
        reply.type(LINKSET_WITH_PROFILE)
        return apiCatalog(baseUrl(request, publicUrl))
      }, linkDependencies(publicUrl)),
  )
}

/** The catalog of the API served at `base`. */
export function apiCatalog(base: string): Static<typeof Linkset> {
  return {
    linkset: [
          {
            anchor: `${base}/v1`,
            'service-desc': [
              { href: `${base}/openapi.json`, type: 'application/openapi+json' },
              { href: `${base}/openapi.yaml`, type: 'application/openapi+yaml' },
            ],
            'service-doc': [{ href: `${base}/docs`, type: 'text/html' }],
            status: [{ href: `${base}/readyz`, type: 'application/json' }],
          },
        ],
  }
}
