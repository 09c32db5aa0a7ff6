# The FHIR server's image: built with the dev dependencies (TypeScript), run on the production
# dependencies only, as the unprivileged user `node`, with DATA_DIR on the volume /data.
# test/docker/dockerfile.test.ts runs these RUN steps in a scratch folder and reads /healthz.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm install, not npm ci: it installs exactly the lock file's versions, and unlike npm ci it does not
# insist on lock entries for other platforms' optional binaries, which the registry here does not serve
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/run.js scripts/check-node.js scripts/
COPY src/ src/
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY profiles/ profiles/
# the volume starts as this folder: the server's own, readable by it alone (keys, credentials, data)
RUN install -d -o node -g node -m 700 /data
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
