# healthsync: a static binary in a distroless image that runs as a non-root user.
#
#   docker build -t healthsync .
#   docker run --rm -p 8080:8080 \
#     -e DATABASE_URL='postgres://healthsync_server:…@db.internal:5432/healthsync?sslmode=verify-full' \
#     -e HEALTHSYNC_ENV=production \
#     -e HEALTHSYNC_JWT_JWKS=/etc/healthsync/jwks.json -v /srv/healthsync/jwks.json:/etc/healthsync/jwks.json:ro \
#     healthsync
#
# The image needs DATABASE_URL: without it, healthsync starts its own PostgreSQL (what `make run` does), which
# needs the PostgreSQL server binaries, and this image does not carry them.
# It also needs HEALTHSYNC_ENV=production (no GraphiQL, no development token, a configured key required) and one
# of HEALTHSYNC_JWT_JWKS, HEALTHSYNC_JWT_PUBLIC_KEYS or HEALTHSYNC_JWT_SECRET. See docs/deploy.md.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so the download layer is reused while only the source changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# web/dist (GraphiQL and the dashboard) is committed and embedded, so the build needs no node.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/healthsync ./cmd/healthsync

# distroless/static: CA certificates (for sslmode=verify-full), /usr/share/zoneinfo (series are cut in IANA time
# zones and the binary does not embed tzdata, so keep zoneinfo if you ever move to scratch), a nonroot user
# (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/healthsync /healthsync
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/healthsync"]
CMD ["serve"]
