# syntax=docker/dockerfile:1

# Dependencies get their own stage so the npm cache and lockfile churn stay out of the final image,
# and the layer is rebuilt only when package*.json or .npmrc change, not on every source edit.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# .npmrc carries legacy-peer-deps=true; without it npm ci resolves peers differently from the
# committed lockfile and refuses to install.
COPY package.json package-lock.json .npmrc ./
# No build step exists: tsx (a runtime dependency) runs the TypeScript sources, so dev dependencies
# (typescript, vitest, biome, testcontainers) are never needed in the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
# The app's default host is loopback, unreachable from outside the container.
ENV NODE_ENV=production \
    XASSET_HTTP_HOST=0.0.0.0 \
    XASSET_HTTP_PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY contracts ./contracts
COPY producers ./producers
COPY processors ./processors
COPY projections ./projections
COPY infra ./infra
COPY app ./app
COPY bin ./bin
# The sources stay root-owned and read-only to the app; only its default state dir is writable.
RUN mkdir -p /app/.xasset && chown node:node /app/.xasset
USER node
EXPOSE 8080
# node's global fetch: the slim image has neither curl nor wget. The port follows the env so an
# override of XASSET_HTTP_PORT does not make a healthy server look dead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.XASSET_HTTP_PORT||8080)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/xasset.js"]
CMD ["serve"]
