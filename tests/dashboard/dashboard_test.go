package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const apiKey = "dashboard-test-key"

// startServer builds quiver and serves a fresh data directory with the
// text model and an api-key, on a free loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	model := os.Getenv("QUIVER_MODEL_DIR")
	if model == "" {
		model = filepath.Join("..", "..", "models", "all-MiniLM-L6-v2")
	}
	_, err := os.Stat(filepath.Join(model, "model.safetensors"))
	require.NoError(t, err, "the text model is needed (make model; QUIVER_MODEL_DIR)")
	bin := filepath.Join(t.TempDir(), "quiver")
	build := exec.Command("go", "build", "-o", bin, "github.com/quiver-db/quiver/cmd/quiver")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build quiver: %s", out)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", t.TempDir(), "--model", model, "--api-key", apiKey)
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
	}
	t.Fatalf("quiver serve not ready in 60s; log:\n%s", log.String())
	return ""
}

// browser starts headless Chromium and collects the page's console
// errors, uncaught exceptions and browser log errors (CSP, failed loads).
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "Debian's chromium is needed for the dashboard test: apt-get install -y chromium (.ci/run does)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	var mu sync.Mutex
	var problems []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, fmt.Sprintf("exception: %s at %d:%d", ev.ExceptionDetails.Text, ev.ExceptionDetails.LineNumber, ev.ExceptionDetails.ColumnNumber))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}))
	_, err = chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err)
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}

func artefactDir(t *testing.T) string {
	dir := os.Getenv("QUIVER_ARTEFACTS")
	if dir == "" {
		var err error
		dir, err = os.MkdirTemp("", "quiver-dashboard-")
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

// into runs a and keeps its value in dst, so that value-returning
// actions fit in a chromedp.Do sequence.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, tg)
		*dst = v
		return chromedp.Void{}, err
	}
}

// unlabelled lists the page's controls that have no accessible name.
const unlabelled = `[...document.querySelectorAll('input, select, textarea, button')].filter((e) =>
  !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') &&
  !(e.tagName === 'BUTTON' && e.textContent.trim())).map((e) => e.outerHTML)`

// overflow is how far the page is wider than the window.
const overflow = `document.documentElement.scrollWidth - window.innerWidth`

var movies = []struct{ id, text, payload string }{
	{"1", "Toy Story: toys come to life when nobody is watching", `{"title": "Toy Story", "year": 1995, "genres": ["animation", "comedy"]}`},
	{"2", "Alien: the crew of a spaceship is hunted by a deadly creature", `{"title": "Alien", "year": 1979, "genres": ["horror", "scifi"]}`},
	{"3", "Heat: a detective chases a crew of professional bank robbers", `{"title": "Heat", "year": 1995, "genres": ["crime", "thriller"]}`},
	{"4", "Finding Nemo: a clownfish crosses the ocean to find his son", `{"title": "Finding Nemo", "year": 2003, "genres": ["animation", "family"]}`},
	{"5", "Interstellar: astronauts travel through a wormhole to save humanity", `{"title": "Interstellar", "year": 2014, "genres": ["scifi", "drama"]}`},
}

// TestDashboard clicks through every page: create a collection, add text
// documents, browse and filter them, open a point, search by text,
// recommend, draw the map with a search highlighted, read the server's
// figures, delete a collection after confirming; then every page again at
// a phone's width. No page may log an error or leave a control unlabelled.
func TestDashboard(t *testing.T) {
	url := startServer(t)
	ctx, problems := browser(t)
	dir := artefactDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
		}
	}
	check := func(page string) {
		t.Helper()
		var bad []string
		require.NoError(t, chromedp.Do(ctx, into(&bad, chromedp.Evaluate[[]string](unlabelled))))
		assert.Empty(t, bad, "%s: controls without a label", page)
		var over int
		require.NoError(t, chromedp.Do(ctx, into(&over, chromedp.Evaluate[int](overflow))))
		assert.LessOrEqual(t, over, 0, "%s: wider than the window", page)
	}
	status := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//p[@id="status" and contains(., %q)]`, text)))
	}

	// The key is asked for and kept in memory: the collections page fails
	// until it is given.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url+"/dashboard"),
		status("401"),
		chromedp.SendKeys(chromedp.CSS("#api-key"), apiKey),
		chromedp.Click(chromedp.CSS(`#key-form button`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[.="Collections"]`)),
	))
	// The one failure so far is the API's 401 before the key was given.
	early := problems()
	for _, p := range early {
		assert.Contains(t, p, "401", "before the key")
	}
	check("collections")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "movies"),
		chromedp.Click(chromedp.Search(`//button[.="Create"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[.="Collection movies"]`)),
	))
	for _, m := range movies {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), m.id),
			chromedp.SendKeys(chromedp.CSS(`textarea[name="text"]`), m.text),
			chromedp.SetValue(chromedp.CSS(`textarea[name="payload"]`), m.payload),
			chromedp.Click(chromedp.Search(`//button[.="Add point"]`)),
			status("added point "+m.id),
		), "add point %s", m.id)
	}
	var rows int
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.Search(`//a[.="5"]`)),
		into(&rows, chromedp.Evaluate[int](`document.querySelectorAll('main table tbody tr').length`)),
	))
	assert.Equal(t, 5, rows, "points listed")
	// The filter builder: year ≥ 2000 leaves Finding Nemo and Interstellar.
	var filterJSON string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="key"]`), "year"),
		chromedp.SetValue(chromedp.CSS(`select[name="op"]`), "gte"),
		chromedp.SendKeys(chromedp.CSS(`input[name="value"]`), "2000"),
		into(&filterJSON, chromedp.Text(chromedp.CSS(`pre[aria-label="filter JSON"]`))),
		chromedp.Click(chromedp.Search(`//button[.="Apply filter"]`)),
		chromedp.WaitNotPresent(chromedp.Search(`//main//table//a[.="1"]`)),
		into(&rows, chromedp.Evaluate[int](`document.querySelectorAll('main table tbody tr').length`)),
		shot("collection"),
	))
	assert.JSONEq(t, `{"must": [{"key": "year", "range": {"gte": 2000}}]}`, filterJSON)
	assert.Equal(t, 2, rows, "points with year ≥ 2000")
	check("collection")

	var vectors string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//main//table//a[.="5"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[starts-with(., "Point 5")]`)),
		into(&vectors, chromedp.Text(chromedp.Search(`//h3[.="Vectors"]/following-sibling::div[1]`))),
		shot("point"),
	))
	assert.Contains(t, vectors, "384")
	check("point")

	var first string
	require.NoError(t, chromedp.Do(ctx,
		into(new(any), chromedp.Evaluate[any](`location.hash = '#/search/movies'`)), // the same page: the key stays
		chromedp.WaitVisible(chromedp.CSS(`input[name="query"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="query"]`), "space adventure"),
		chromedp.Click(chromedp.Search(`//button[.="Search"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h3[.="5 results"]`)),
		into(&first, chromedp.Text(chromedp.CSS(`main table tbody tr td a`))),
		shot("search"),
	))
	assert.Equal(t, "5", first, "Interstellar is nearest to a space adventure")
	var curlText string
	require.NoError(t, chromedp.Do(ctx, into(&curlText, chromedp.Text(chromedp.CSS(`pre.curl`)))))
	assert.Contains(t, curlText, `"space adventure"`)
	assert.Contains(t, curlText, "api-key: $QUIVER_API_KEY", "the key itself is never printed")
	check("search")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//nav/a[.="Recommend"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="positive"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="positive"]`), "1"),
		chromedp.SendKeys(chromedp.CSS(`input[name="negative"]`), "2"),
		chromedp.Click(chromedp.Search(`//button[.="Recommend"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h3[.="3 results"]`)),
		shot("recommend"),
	))
	check("recommend")

	var marks, hits int
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//nav/a[.="Vectors"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="color_by"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="color_by"]`), "genres"),
		chromedp.SendKeys(chromedp.CSS(`input[name="highlight"]`), "space adventure"),
		chromedp.Click(chromedp.Search(`//button[.="Draw"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.map`)),
		into(&marks, chromedp.Evaluate[int](`document.querySelectorAll('svg.map circle.mark').length`)),
		into(&hits, chromedp.Evaluate[int](`document.querySelectorAll('svg.map circle.hit').length`)),
		shot("vectors"),
	))
	assert.Equal(t, 5, marks, "a mark a point")
	assert.Equal(t, 5, hits, "the search's 5 results ringed")
	check("vectors")

	var version string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//nav/a[.="Server"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h3[.="Requests"]`)),
		into(&version, chromedp.Text(chromedp.CSS(`.stats div b`))),
		shot("server"),
	))
	assert.Equal(t, "0.1.0", version)
	check("server")

	// Delete needs a second click on the confirmation.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//nav/a[.="Collections"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "scratch"),
		chromedp.Click(chromedp.Search(`//button[.="Create"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[.="Collection scratch"]`)),
		chromedp.Click(chromedp.Search(`//nav/a[.="Collections"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Delete scratch"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Really delete scratch"]`)),
		shot("collections-confirm"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Really delete scratch"]`)),
		status("deleted scratch"),
		chromedp.WaitNotPresent(chromedp.Search(`//a[.="scratch"]`)),
		shot("collections"),
	))

	// A phone's width: every page again, none wider than the window.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(400, 800)))
	for _, page := range []string{"collections", "collection/movies", "point/movies/5", "search/movies", "recommend", "vectors/movies", "server"} {
		name := "narrow-" + strings.ReplaceAll(strings.Split(page, "/")[0], "/", "-")
		require.NoError(t, chromedp.Do(ctx,
			into(new(any), chromedp.Evaluate[any](fmt.Sprintf(`location.hash = '#/%s'`, page))),
			chromedp.WaitVisible(chromedp.CSS(`main h2`)),
			chromedp.Sleep(300*time.Millisecond), // the page's API calls
			shot(name),
		), page)
		check(name)
	}
	assert.Empty(t, problems()[len(early):], "console errors, exceptions or browser log errors")
}
