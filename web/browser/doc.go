// Package browser holds the end-to-end test of the pages in headless Chromium: GraphiQL runs a query with its
// pre-filled token, and the dashboard draws a seeded user's data. It needs Debian's chromium and the npm
// packages of web/ (playwright-core drives the system browser), so it runs only with HEALTHSYNC_BROWSER_TEST=1:
// `make browser-test` installs what is missing and sets it.
package browser
