// Package dashboard tests the web dashboard as a person uses it: a real
// `quiver serve` with the real text model, and Debian's Chromium driven
// headless through chromedp, clicking through every page at a desktop and
// a phone width. It is its own package because it needs the built binary
// and a browser, and it saves a screenshot of each page.
package dashboard
