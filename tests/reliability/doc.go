// Package reliability holds the tests that treat Quiver as its users do,
// a server binary over HTTP, and try to make it lose data: SIGKILL at
// random moments under concurrent writers, deleters and readers. It is
// its own package, outside the server's, because it tests only the
// built `quiver` binary through its API and must not reach inside it.
// `make test` runs a short version; `make bench-reliability` the long one.
package reliability
